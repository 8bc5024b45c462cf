// A seeded, deterministic simulation of N meliproxy nodes, each with its own WindowCounters, in virtual time.
//
// Every node flushes its delta every gossipIntervalMs (an empty frame is a heartbeat, unless heartbeats are off),
// encoded with the real codec
// and sent to every peer over a simulated link with latency, jitter (which reorders frames), loss, duplication and
// partitions. Receivers decode with the real decoder, call peerHeard and mergeDelta. A node that hears nothing from
// a peer for suspectAfterMs calls peerDown; when it hears from it again, the two exchange snapshots (anti-entropy),
// as the gossip layer does on reconnection. Traffic generators hit nodes with requests; each node checks and, if
// allowed, adds, exactly like the proxy's hot path.
//
// Alongside, a central reference limiter (one WindowCounters seeing every request in time order) shows what a
// single exact limiter would admit, and a "truth" counter holds every admission of the cluster as it happens, so a
// rejection can be judged: rejecting while the true cluster-wide estimate is far from the limit is a false 429.
// Everything random comes from one seeded PRNG: the same options and seed replay the same run.
import { decodeDelta, decodeState, encodeDelta, encodeDeltaFrames, encodeStateFrames } from '../codec.js'
import { WindowCounters, type StateEntry, type WindowCountersOptions } from '../window-counters.js'
import { EventQueue } from './event-queue.js'
import { createPrng, type Prng } from './prng.js'

export interface SimRule {
  key: string
  limit: number
  windowMs: number
}

/** Requests at `rps` on one node between `from` and `to` (ms after the start), Poisson or evenly spaced. */
export interface RateTraffic {
  kind: 'rate'
  node: number
  rps: number
  from: number
  to: number
  arrival?: 'poisson' | 'even'
  /** Rule key hit; default: the first rule's. */
  key?: string
  /** Instead of `key`: each request picks one of these rule keys at random (scale simulations). */
  keys?: string[]
}

/** `count` requests on one node, evenly spread over `spreadMs` starting at `at` (a client hammering a key). */
export interface BurstTraffic {
  kind: 'burst'
  node: number
  count: number
  at: number
  spreadMs: number
  key?: string
}

/**
 * One client sending `count` requests one at a time starting at `at`: request i goes to node
 * `nodes[i % nodes.length]` (round robin over the nodes, or pinned to one). Sequential: the next request goes out
 * `everyMs` after an admitted one (the response came back from the upstream) and `afterRejectMs` (default everyMs)
 * after a rejected one (a 429 is answered at once).
 */
export interface SequenceTraffic {
  kind: 'sequence'
  nodes: number[]
  count: number
  at: number
  everyMs: number
  afterRejectMs?: number
  key?: string
}

export type Traffic = RateTraffic | BurstTraffic | SequenceTraffic

/** Links between the groups are cut from `from` until `to` (ms after the start); nodes absent from every group keep all links. */
export interface Partition {
  from: number
  to: number
  groups: number[][]
}

export interface SimulationOptions {
  seed: number
  nodes: number
  rules: SimRule[]
  traffic: Traffic[]
  durationMs: number
  /** Virtual wall-clock time of the start; default: the first window boundary of rules[0] after 1.7e12. */
  startMs?: number
  gossipIntervalMs?: number
  latencyMs?: number
  /** Extra delay, uniform in [0, jitterMs): frames overtake one another. */
  jitterMs?: number
  dropRate?: number
  duplicateRate?: number
  /** Given to every WindowCounters; default gossipIntervalMs + latencyMs + jitterMs. */
  gossipDelayMs?: number
  budgetSplit?: boolean
  suspectAfterMs?: number
  /** Also exchange full snapshots between every pair this often (0 = only on reconnection). */
  antiEntropyEveryMs?: number
  /**
   * 'every-tick' (default): a node with nothing new still sends an empty counters frame every tick, so the counters
   * hear from every peer every gossipIntervalMs. 'when-idle': it sends counters frames only when it has deltas, and a
   * link-level heartbeat after suspectAfterMs / 4 of silence that keeps the failure detector quiet but is not shown
   * to the counters (peerHeard): re-splits then wait for the gossipDelayMs fallback when a peer is idle.
   */
  heartbeats?: 'every-tick' | 'when-idle'
  partitions?: Partition[]
  /**
   * Models the node's urgent flush: an admission that leaves a key with at most this many requests remaining (its
   * check's `remaining` before the request, as node/limiter-with-stats.ts tests it) makes the node send its deltas
   * right away instead of at its next tick (the node does it at the end of the event-loop turn). Default 0: off.
   */
  urgentFlushWithin?: number
  /**
   * A rejection is counted as false when the true cluster estimate plus the request is at most this fraction of the
   * limit (1: every rejection that a single exact limiter would have admitted).
   */
  falseRejectBelow?: number
  counters?: Partial<WindowCountersOptions>
}

export interface WindowReport {
  rule: string
  window: number
  demand: number
  admitted: number
  /** What a single exact limiter seeing every request would have admitted in this window. */
  reference: number
}

export interface SimulationReport {
  seed: number
  windows: WindowReport[]
  /** Max over windows of max(0, admitted - limit). */
  overAdmission: number
  /** Max over windows of max(0, reference - admitted). */
  underAdmission: number
  admittedTotal: number
  referenceTotal: number
  demandTotal: number
  admittedByNode: number[]
  /** Rejections while the true cluster-wide estimate plus the request was at most falseRejectBelow * limit. */
  falseRejections: number
  /** Lowest true cluster-wide estimate at which a false rejection happened (Infinity when none). */
  firstFalseRejectionAt: number
  /** Bytes of encoded frames sent per node per second (deltas, heartbeats and snapshots), mean over nodes. */
  gossipBytesPerNodePerSec: number
  framesSent: number
  framesDropped: number
}

type FrameKind = 'delta' | 'state' | 'ping'

type SimEvent =
  | { t: 'request'; traffic: number }
  | { t: 'tick'; node: number }
  | { t: 'deliver'; from: number; to: number; bytes: Uint8Array; kind: FrameKind }
  | { t: 'antiEntropy' }
  | { t: 'flush'; node: number }

export function nodeId(i: number): string {
  // Shaped like a libp2p peer id (52 chars) so frame sizes are realistic.
  return `12D3KooWSim${String(i).padStart(41, '0')}`
}

export class SimulatedNetwork {
  readonly opts: Required<Omit<SimulationOptions, 'startMs' | 'counters' | 'gossipDelayMs'>> & {
    gossipDelayMs: number
  }
  readonly startMs: number
  readonly nodes: WindowCounters[]
  readonly ids: string[]
  private readonly rng: Prng
  private readonly queue = new EventQueue<SimEvent>()
  private now: number
  private readonly reference: WindowCounters
  private readonly truth: WindowCounters
  private readonly rules = new Map<string, SimRule>()
  /** lastHeard[to][from], -Infinity when never. */
  private readonly lastHeard: number[][]
  private readonly suspected: boolean[][]
  /** lastSent[from][to]: when `from` last sent anything to `to`. */
  private readonly lastSent: number[][]
  private readonly bytesSent: number[]
  private framesSent = 0
  private framesDropped = 0
  private readonly stats = new Map<string, WindowReport>()
  private readonly admittedByNode: number[]
  private falseRejections = 0
  private firstFalseRejectionAt = Infinity
  /** Per node: an urgent flush is already queued for the current time. */
  private readonly flushQueued: boolean[]
  private readonly trafficLeft: number[]

  constructor(options: SimulationOptions) {
    const interval = options.gossipIntervalMs ?? 20
    const latency = options.latencyMs ?? 1
    const jitter = options.jitterMs ?? 0
    this.opts = {
      seed: options.seed,
      nodes: options.nodes,
      rules: options.rules,
      traffic: options.traffic,
      durationMs: options.durationMs,
      gossipIntervalMs: interval,
      latencyMs: latency,
      jitterMs: jitter,
      dropRate: options.dropRate ?? 0,
      duplicateRate: options.duplicateRate ?? 0,
      gossipDelayMs: options.gossipDelayMs ?? interval + latency + jitter,
      budgetSplit: options.budgetSplit ?? true,
      suspectAfterMs: options.suspectAfterMs ?? Math.max(10 * interval, 200),
      antiEntropyEveryMs: options.antiEntropyEveryMs ?? 0,
      heartbeats: options.heartbeats ?? 'every-tick',
      partitions: options.partitions ?? [],
      urgentFlushWithin: options.urgentFlushWithin ?? 0,
      falseRejectBelow: options.falseRejectBelow ?? 0.5,
    }
    const first = options.rules[0]
    if (first === undefined) throw new Error('simulation needs at least one rule')
    for (const r of options.rules) this.rules.set(r.key, r)
    this.startMs = options.startMs ?? Math.ceil(1.7e12 / first.windowMs) * first.windowMs
    this.now = this.startMs
    this.rng = createPrng(options.seed)
    const n = options.nodes
    this.ids = Array.from({ length: n }, (_, i) => nodeId(i))
    this.nodes = this.ids.map(
      (self) =>
        new WindowCounters({
          // The nodes flush as this network does, and an urgent delta arrives after the latency plus the jitter.
          urgentFlushWithin: this.opts.urgentFlushWithin,
          urgentLagMs: this.opts.latencyMs + this.opts.jitterMs,
          ...options.counters,
          self,
          gossipDelayMs: this.opts.gossipDelayMs,
          budgetSplit: this.opts.budgetSplit,
        }),
    )
    this.reference = new WindowCounters({ self: 'reference', budgetSplit: false })
    this.truth = new WindowCounters({ self: 'truth', budgetSplit: false })
    this.lastHeard = Array.from({ length: n }, () => new Array<number>(n).fill(-Infinity))
    this.suspected = Array.from({ length: n }, () => new Array<boolean>(n).fill(false))
    this.lastSent = Array.from({ length: n }, () => new Array<number>(n).fill(this.startMs))
    this.bytesSent = new Array<number>(n).fill(0)
    this.admittedByNode = new Array<number>(n).fill(0)
    this.flushQueued = new Array<boolean>(n).fill(false)
    this.trafficLeft = options.traffic.map((t) => (t.kind === 'rate' ? Infinity : t.count))
    // Nodes start connected: every node has heard every other once, as after the initial anti-entropy.
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        if (a === b) continue
        this.lastHeard[a]![b] = this.startMs
        this.nodes[a]!.peerHeard(this.ids[b]!, this.startMs)
      }
      // Ticks start at a random phase, as real nodes' timers do.
      this.queue.push(this.startMs + this.rng.next() * interval, { t: 'tick', node: a })
    }
    options.traffic.forEach((t, i) => this.scheduleFirst(t, i))
    if (this.opts.antiEntropyEveryMs > 0) {
      this.queue.push(this.startMs + this.opts.antiEntropyEveryMs, { t: 'antiEntropy' })
    }
  }

  /** Current virtual time (wall-clock ms). */
  get time(): number {
    return this.now
  }

  /** Runs until `untilMs` after the start (default: durationMs). May be called again to run further. */
  run(untilMs = this.opts.durationMs): SimulationReport {
    try {
      return this.runUntil(untilMs)
    } catch (err) {
      // Whatever broke, say which run it was so it can be replayed.
      throw new Error(`simulation seed ${this.opts.seed} failed at +${this.now - this.startMs} ms: ${String(err)}`, { cause: err })
    }
  }

  private runUntil(untilMs: number): SimulationReport {
    const end = this.startMs + untilMs
    while (this.queue.peekTime() <= end) {
      const time = this.queue.peekTime()
      const ev = this.queue.pop()!
      this.now = time
      switch (ev.t) {
        case 'request':
          this.request(ev.traffic)
          break
        case 'tick':
          this.tick(ev.node)
          break
        case 'flush':
          this.flushQueued[ev.node] = false
          this.flush(ev.node)
          break
        case 'deliver':
          this.deliver(ev.from, ev.to, ev.bytes, ev.kind)
          break
        case 'antiEntropy':
          for (let a = 0; a < this.opts.nodes; a++) {
            for (let b = 0; b < this.opts.nodes; b++) if (a !== b) this.sendSnapshot(a, b)
          }
          this.queue.push(this.now + this.opts.antiEntropyEveryMs, { t: 'antiEntropy' })
          break
      }
    }
    this.now = end
    return this.report(untilMs)
  }

  /** Every node's snapshot at the current time, each sorted, for convergence checks. */
  snapshots(): StateEntry[][] {
    return this.nodes.map((n) => normalise(n.snapshot(this.now)))
  }

  /** Whether the link from `a` to `b` is cut at the current time. */
  linkCut(a: number, b: number): boolean {
    const rel = this.now - this.startMs
    for (const p of this.opts.partitions) {
      if (rel < p.from || rel >= p.to) continue
      const ga = p.groups.findIndex((g) => g.includes(a))
      const gb = p.groups.findIndex((g) => g.includes(b))
      if (ga !== -1 && gb !== -1 && ga !== gb) return true
    }
    return false
  }

  private scheduleFirst(t: Traffic, i: number): void {
    if (t.kind === 'burst' || t.kind === 'sequence') {
      if (t.count > 0) this.queue.push(this.startMs + t.at, { t: 'request', traffic: i })
      return
    }
    if (t.rps <= 0 || t.to <= t.from) return
    const first = this.startMs + t.from + this.gap(t)
    if (first < this.startMs + t.to) this.queue.push(first, { t: 'request', traffic: i })
  }

  private gap(t: RateTraffic): number {
    const mean = 1000 / t.rps
    return t.arrival === 'even' ? mean : this.rng.exponential(mean)
  }

  private request(i: number): void {
    const t = this.opts.traffic[i]!
    const pick = t.kind === 'rate' && t.keys !== undefined && t.keys.length > 0 ? t.keys[this.rng.int(t.keys.length)] : t.key
    const rule = pick === undefined ? this.opts.rules[0]! : this.rules.get(pick)
    if (rule === undefined) throw new Error(`traffic ${i} hits ${pick}, which is not a rule key`)
    const at = t.kind === 'sequence' ? t.nodes[(t.count - this.trafficLeft[i]!) % t.nodes.length]! : t.node
    const node = this.nodes[at]!
    const now = this.now
    const res = node.check(rule.key, rule.limit, rule.windowMs, now)
    const w = Math.floor(now / rule.windowMs)
    const stat = this.windowStat(rule, w)
    stat.demand++
    if (res.allowed) {
      node.add(rule.key, rule.windowMs, now)
      this.truth.add(rule.key, rule.windowMs, now)
      stat.admitted++
      this.admittedByNode[at]!++
      if (res.remaining <= this.opts.urgentFlushWithin && !this.flushQueued[at]) {
        // After this event, at the same virtual time: the end of the event-loop turn.
        this.flushQueued[at] = true
        this.queue.push(now, { t: 'flush', node: at })
      }
    } else {
      const truth = this.truth.estimate(rule.key, rule.windowMs, now)
      if (truth + 1 <= this.opts.falseRejectBelow * rule.limit) {
        this.falseRejections++
        if (truth < this.firstFalseRejectionAt) this.firstFalseRejectionAt = truth
      }
    }
    if (this.reference.check(rule.key, rule.limit, rule.windowMs, now).allowed) {
      this.reference.add(rule.key, rule.windowMs, now)
      stat.reference++
    }
    // Next arrival of this generator.
    if (t.kind === 'burst') {
      const left = --this.trafficLeft[i]!
      if (left > 0) this.queue.push(now + t.spreadMs / t.count, { t: 'request', traffic: i })
    } else if (t.kind === 'sequence') {
      const left = --this.trafficLeft[i]!
      const gap = res.allowed ? t.everyMs : (t.afterRejectMs ?? t.everyMs)
      if (left > 0) this.queue.push(now + gap, { t: 'request', traffic: i })
    } else {
      const next = now + this.gap(t)
      if (next < this.startMs + t.to) this.queue.push(next, { t: 'request', traffic: i })
    }
  }

  private windowStat(rule: SimRule, w: number): WindowReport {
    const id = `${rule.key}\u0000${w}`
    let s = this.stats.get(id)
    if (s === undefined) {
      s = { rule: rule.key, window: w, demand: 0, admitted: 0, reference: 0 }
      this.stats.set(id, s)
    }
    return s
  }

  /** An urgent flush: the node's pending deltas go to every peer now (nothing when it has none). */
  private flush(a: number): void {
    const frames = encodeDeltaFrames(this.nodes[a]!.takeDelta())
    for (let b = 0; b < this.opts.nodes; b++) {
      if (b === a) continue
      for (const f of frames) this.send(a, b, f, 'delta')
    }
  }

  private tick(a: number): void {
    const n = this.opts.nodes
    const node = this.nodes[a]!
    const frames = encodeDeltaFrames(node.takeDelta())
    if (frames.length === 0 && this.opts.heartbeats === 'every-tick') frames.push(HEARTBEAT)
    for (let b = 0; b < n; b++) {
      if (b === a) continue
      for (const f of frames) this.send(a, b, f, 'delta')
      if (frames.length === 0 && this.now - this.lastSent[a]![b]! >= this.opts.suspectAfterMs / 4) {
        this.send(a, b, PING, 'ping')
      }
      // Failure detection, as the gossip layer does it.
      if (!this.suspected[a]![b] && this.now - this.lastHeard[a]![b]! > this.opts.suspectAfterMs) {
        this.suspected[a]![b] = true
        node.peerDown(this.ids[b]!, this.now)
      }
    }
    this.queue.push(this.now + this.opts.gossipIntervalMs, { t: 'tick', node: a })
  }

  private send(a: number, b: number, bytes: Uint8Array, kind: FrameKind): void {
    this.bytesSent[a]! += bytes.length
    this.lastSent[a]![b] = this.now
    this.framesSent++
    if (this.linkCut(a, b) || this.rng.next() < this.opts.dropRate) {
      this.framesDropped++
      return
    }
    const o = this.opts
    this.queue.push(this.now + o.latencyMs + this.rng.next() * o.jitterMs, { t: 'deliver', from: a, to: b, bytes, kind })
    if (this.rng.next() < o.duplicateRate) {
      this.queue.push(this.now + o.latencyMs + this.rng.next() * o.jitterMs, { t: 'deliver', from: a, to: b, bytes, kind })
    }
  }

  private sendSnapshot(a: number, b: number): void {
    for (const f of encodeStateFrames(this.nodes[a]!.snapshot(this.now))) this.send(a, b, f, 'state')
  }

  private deliver(from: number, to: number, bytes: Uint8Array, kind: FrameKind): void {
    if (this.linkCut(from, to)) {
      this.framesDropped++
      return
    }
    const node = this.nodes[to]!
    const fromId = this.ids[from]!
    this.lastHeard[to]![from] = this.now
    if (this.suspected[to]![from]) {
      // Reconnected: the peer is up again, and the two exchange full state (the peer does the same when it hears
      // from us).
      this.suspected[to]![from] = false
      node.peerHeard(fromId, this.now)
      this.sendSnapshot(to, from)
    }
    if (kind === 'ping') return
    node.peerHeard(fromId, this.now)
    if (kind === 'state') node.mergeSnapshot(decodeState(bytes), this.now)
    else node.mergeDelta(fromId, decodeDelta(bytes), this.now)
  }

  private report(elapsedMs: number): SimulationReport {
    const windows = [...this.stats.values()].sort((x, y) => (x.rule < y.rule ? -1 : x.rule > y.rule ? 1 : x.window - y.window))
    let over = 0
    let under = 0
    let admitted = 0
    let reference = 0
    let demand = 0
    for (const w of windows) {
      const limit = this.rules.get(w.rule)!.limit
      over = Math.max(over, w.admitted - limit)
      under = Math.max(under, w.reference - w.admitted)
      admitted += w.admitted
      reference += w.reference
      demand += w.demand
    }
    const bytes = this.bytesSent.reduce((x, y) => x + y, 0)
    return {
      seed: this.opts.seed,
      windows,
      overAdmission: over,
      underAdmission: under,
      admittedTotal: admitted,
      referenceTotal: reference,
      demandTotal: demand,
      admittedByNode: [...this.admittedByNode],
      falseRejections: this.falseRejections,
      firstFalseRejectionAt: this.firstFalseRejectionAt,
      gossipBytesPerNodePerSec: elapsedMs > 0 ? bytes / this.opts.nodes / (elapsedMs / 1000) : 0,
      framesSent: this.framesSent,
      framesDropped: this.framesDropped,
    }
  }
}

/** An empty delta frame: what a node sends when it has nothing new (a heartbeat). */
const HEARTBEAT = encodeDelta([])
/** A link-level heartbeat ('when-idle' mode): a few bytes that only the failure detector sees. */
const PING = new Uint8Array(4)

/** Snapshot entries in a canonical order (cells by key, windowMs, window; slots by node) for comparison. */
export function normalise(entries: StateEntry[]): StateEntry[] {
  const out = entries.map(
    ([k, wm, w, slots]) => [k, wm, w, [...slots].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))] as StateEntry,
  )
  out.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1] || x[2] - y[2]))
  return out
}

/** Uniform load: `rps` in total split evenly over `nodes` nodes. */
export function uniformLoad(nodes: number, rps: number, from: number, to: number, key?: string): RateTraffic[] {
  return Array.from({ length: nodes }, (_, node) => ({ kind: 'rate' as const, node, rps: rps / nodes, from, to, key }))
}

/** Skewed load: node 0 takes `hotShare` of `rps`, the others split the rest evenly. */
export function skewedLoad(nodes: number, rps: number, from: number, to: number, hotShare = 0.8, key?: string): RateTraffic[] {
  if (nodes === 1) return uniformLoad(1, rps, from, to, key)
  return Array.from({ length: nodes }, (_, node) => ({
    kind: 'rate' as const,
    node,
    rps: node === 0 ? rps * hotShare : (rps * (1 - hotShare)) / (nodes - 1),
    from,
    to,
    key,
  }))
}
