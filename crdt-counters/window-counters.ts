// Every live (key, windowMs, window) cell this node knows of, with the sliding-window estimate, the delta/snapshot
// exchange with peers, and the budget split near the limit.
//
// Layout: a Map from key to its WindowSeries (a key used with several window lengths chains them through
// `sameKey`), and an intrusive doubly linked LRU list through all series. Memory is bounded by maxKeys series: when
// a new series would exceed it, the least recently used series (checked, added or merged least recently) is
// evicted with its counts and counted in `evictions`. Eviction forgets counts that are still live, so maxKeys should
// be sized above the number of keys active within two windows; an evicted key that comes back starts again from
// what peers send.
//
// Cells older than window(now) - 1 are dropped lazily whenever a series is touched, and in bulk by prune(now).
//
// Hot path: check() and add() do one Map lookup, a few field reads and writes, and no allocation beyond the
// returned CheckResult. The budget split's O(live peers) work runs only near the limit, once per gossip round.
import {
  createBudgetDecision,
  createBudgetView,
  decideBudget,
  DEFAULT_SPLIT_POLICY,
  type BudgetView,
  type SplitPolicy,
} from './budget-split.js'
import { CounterArgumentError } from './errors.js'
import { NodeRegistry } from './node-registry.js'
import { utf8Length } from './utf8-length.js'
import { retryAfterMs } from './sliding-window.js'
import {
  DIRTY_CURRENT,
  DIRTY_PREVIOUS,
  RATES_CLAIMS_AT,
  RATES_FREE_ABOVE,
  RATES_FREE_UNTIL,
  RATES_NODES,
  RATES_PEER_SUM,
  RATES_SINCE,
  RATES_STRIDE,
  WindowSeries,
} from './window-series.js'

export interface WindowCountersOptions {
  /** This node's id (its libp2p peer id in production). */
  self: string
  /**
   * Expected time for an admission here to be seen by peers (default 40; about twice the gossip interval). It sets
   * the split's clocks: an allotment is renewed at the latest this long after it was granted, rates are averaged
   * over two of these, and a peer's unseen admissions are extrapolated over it.
   */
  gossipDelayMs?: number
  /** Most (key, windowMs) series kept; the least recently used is evicted beyond it (default 1_000_000). */
  maxKeys?: number
  /** Default true; false = plain local-view check (used to measure what the split buys). */
  budgetSplit?: boolean
  /** Most distinct node ids remembered (default 4096); slots of further ids are ignored. */
  maxNodes?: number
  /**
   * Longest key accepted, in UTF-8 bytes (default 512, the codec's default maxKeyBytes): a longer key could never
   * be gossiped (peers reject the frame), so creating it throws CounterArgumentError. Checked only when a key is new.
   */
  maxKeyBytes?: number
  /** Overrides of DEFAULT_SPLIT_POLICY (tests and measurements). */
  splitPolicy?: Partial<SplitPolicy>
  /**
   * Every node sends its deltas at once, not at the next gossip tick, when an admission leaves a key within this
   * many requests of its limit (default 32: node/limiter-with-stats.ts flushes at the end of the event-loop turn
   * then; set both together). The split relies on it while a key is that close: peers' admissions and announced
   * claims arrive within urgentLagMs, so it reserves exactly what they announced and may split again once that long
   * has passed (see budget-split.ts). 0: deltas go out only at gossip ticks, and the split does not rely on them.
   */
  urgentFlushWithin?: number
  /**
   * Upper bound of the time an urgently flushed delta takes to reach a peer and be merged (default 3 ms: the end of
   * the sender's event-loop turn plus a local link). Too small a value over-admits; too large delays a node's next
   * part near the limit.
   */
  urgentLagMs?: number
}

export interface CheckResult {
  allowed: boolean
  /** This node's estimate of the cluster-wide count (sliding), before this request. */
  estimate: number
  /** max(0, floor(limit - estimate)) as seen here (for RateLimit headers). */
  remaining: number
  /**
   * Ms until a request would be let through again absent new traffic (for Retry-After); 0 when allowed. When the
   * estimate is over the limit this is when the sliding window lets it under; when only this node's part of the
   * budget is spent (budget split), it is the time until its next split, at most gossipDelayMs.
   */
  resetMs: number
}

/**
 * An own-slot value; `refused` (absent when 0) is the node's split refusals in that cell (see window-series.ts), and
 * `claim`, sent while the key is split, what the node may still admit of its part (current window only).
 */
export type DeltaEntry = [key: string, windowMs: number, window: number, value: number, refused?: number, claim?: number]
export type StateEntry = [
  key: string,
  windowMs: number,
  window: number,
  slots: Array<[node: string, value: number, refused?: number]>,
]

export const DEFAULT_GOSSIP_DELAY_MS = 40
export const DEFAULT_MAX_KEYS = 1_000_000
export const DEFAULT_MAX_NODES = 4096
export const DEFAULT_MAX_KEY_BYTES = 512
export const DEFAULT_URGENT_FLUSH_WITHIN = 32
export const DEFAULT_URGENT_LAG_MS = 3

function bitCount(dirty: number): number {
  return (dirty & DIRTY_CURRENT) + ((dirty & DIRTY_PREVIOUS) >> 1)
}

/**
 * Contract: single-threaded (one event loop); `now` is wall-clock ms and may step back a little (cells of the
 * previous window stay writable) but is not expected to run ahead of peers by more than a window. check() never
 * changes counts. add() counts only into the window of `now`. Nothing here does I/O or reads a clock.
 */
export class WindowCounters {
  readonly self: string
  private readonly gossipDelayMs: number
  private readonly maxKeys: number
  private readonly maxKeyBytes: number
  private readonly split: boolean
  private readonly policy: Readonly<SplitPolicy>
  private readonly urgentFlushWithin: number
  private urgentLagMs: number
  private readonly tau: number
  private readonly claimTtl: number
  /** How long a "free" decision is reused before the rates are looked at again. */
  private readonly freeCacheMs: number
  /** Own adds are folded into the own rate at most this often (the fold costs an exp()). */
  private readonly foldMs: number
  private readonly nodes: NodeRegistry
  private readonly byKey = new Map<string, WindowSeries>()
  private newest: WindowSeries | null = null
  private oldest: WindowSeries | null = null
  private count = 0
  private evicted = 0
  private readonly dirtySeries = new Set<WindowSeries>()
  private pendingCells = 0
  private readonly view = createBudgetView()
  /** Registry index of each view position (view index 0 = self = registry index 0). */
  private readonly viewNodes: number[] = [0]
  private readonly decision = createBudgetDecision()

  constructor(opts: WindowCountersOptions) {
    if (typeof opts.self !== 'string' || opts.self.length === 0) {
      throw new CounterArgumentError('self: must be a non-empty node id')
    }
    const gossipDelayMs = opts.gossipDelayMs ?? DEFAULT_GOSSIP_DELAY_MS
    if (!(gossipDelayMs > 0) || gossipDelayMs === Infinity) {
      throw new CounterArgumentError(`gossipDelayMs: ${gossipDelayMs} is not a positive number`)
    }
    const maxKeys = opts.maxKeys ?? DEFAULT_MAX_KEYS
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
      throw new CounterArgumentError(`maxKeys: ${maxKeys} is not a positive integer`)
    }
    const maxNodes = opts.maxNodes ?? DEFAULT_MAX_NODES
    if (!Number.isSafeInteger(maxNodes) || maxNodes < 1) {
      throw new CounterArgumentError(`maxNodes: ${maxNodes} is not a positive integer`)
    }
    this.self = opts.self
    this.gossipDelayMs = gossipDelayMs
    this.maxKeys = maxKeys
    this.maxKeyBytes = opts.maxKeyBytes ?? DEFAULT_MAX_KEY_BYTES
    this.split = opts.budgetSplit ?? true
    const urgentFlushWithin = opts.urgentFlushWithin ?? DEFAULT_URGENT_FLUSH_WITHIN
    if (!(urgentFlushWithin >= 0)) {
      throw new CounterArgumentError(`urgentFlushWithin: ${urgentFlushWithin} is not a number >= 0`)
    }
    const urgentLagMs = opts.urgentLagMs ?? DEFAULT_URGENT_LAG_MS
    if (!(urgentLagMs >= 0) || urgentLagMs === Infinity) {
      throw new CounterArgumentError(`urgentLagMs: ${urgentLagMs} is not a finite number >= 0`)
    }
    this.urgentFlushWithin = urgentFlushWithin
    this.urgentLagMs = urgentLagMs
    this.policy = Object.freeze({ ...DEFAULT_SPLIT_POLICY, ...opts.splitPolicy })
    this.tau = this.policy.rateTimeConstantDelays * gossipDelayMs
    this.claimTtl = this.policy.claimTtlDelays * gossipDelayMs
    this.freeCacheMs = gossipDelayMs / 2
    this.foldMs = gossipDelayMs / 4
    this.nodes = new NodeRegistry(opts.self, maxNodes)
    this.view.gossipDelayMs = gossipDelayMs
  }

  /** Live (key, windowMs) series. */
  get size(): number {
    return this.count
  }

  /** Series evicted because maxKeys was reached. */
  get evictions(): number {
    return this.evicted
  }

  /** Number of peers currently considered live (heard and not reported down). */
  get livePeers(): number {
    return this.nodes.liveCount
  }

  /** Node ids ignored because maxNodes was reached. */
  get refusedNodes(): number {
    return this.nodes.refused
  }

  /** Sliding estimate of the cluster-wide count of `key` at `now`, as seen here. Never creates a series. */
  estimate(key: string, windowMs: number, now: number): number {
    const s = this.find(key, windowMs)
    if (s === null) return 0
    const w = Math.floor(now / windowMs)
    if (w > s.window) this.advance(s, w)
    return this.estimateOf(s, w, now)
  }

  /**
   * Decides one rule of one request. Never changes counts: call add() for every rule of a request once all of them
   * allowed it. `cost` (default 1) is what add() will add if admitted.
   */
  check(key: string, limit: number, windowMs: number, now: number, cost = 1): CheckResult {
    if (!(cost >= 0)) throw new CounterArgumentError(`check: cost ${cost} is not a number >= 0`)
    const w = Math.floor(now / windowMs)
    const s = this.obtain(key, windowMs, w)
    if (w > s.window) this.advance(s, w)
    const est = this.estimateOf(s, w, now)
    let allowed: boolean
    let resetMs = 0
    if (est + cost > limit) {
      allowed = false
      resetMs = retryAfterMs(s.countAt(w), s.countAt(w - 1), now, windowMs, limit, cost)
    } else if (!this.split || this.nodes.liveCount === 0) {
      allowed = true
    } else {
      allowed = this.splitAllows(s, limit, est, cost, now, w)
      if (!allowed) {
        // Rejected only because this node's part is spent: it gets a new part at the next split. The refusal is
        // demand the split should see (here and, through the deltas, on every peer).
        this.countRefusal(s, w, cost, now)
        const wait = Math.ceil(s.grantAt + this.gossipDelayMs - now)
        resetMs = wait > 1 ? wait : 1
      }
    }
    const left = limit - est
    return { allowed, estimate: est, remaining: left > 0 ? Math.floor(left) : 0, resetMs }
  }

  /** Adds `n` (an integer >= 0, default 1) to this node's slot of the window that contains `now`. */
  add(key: string, windowMs: number, now: number, n = 1): void {
    if (!Number.isInteger(n) || n < 0) throw new CounterArgumentError(`add: ${n} is not an integer >= 0`)
    const w = Math.floor(now / windowMs)
    const s = this.obtain(key, windowMs, w)
    if (w > s.window) this.advance(s, w)
    if (n === 0) return
    const rates = s.rates
    if (rates !== null && now - rates[RATES_NODES + 1]! >= this.foldMs) this.foldOwnRate(s, rates, now)
    let bit: number
    if (w === s.window) {
      s.cur[0] = s.cur[0]! + n
      s.curSum += n
      bit = DIRTY_CURRENT
    } else if (w === s.window - 1) {
      // The clock stepped back across a boundary; the previous cell is still live.
      s.prev[0] = s.prev[0]! + n
      s.prevSum += n
      bit = DIRTY_PREVIOUS
    } else {
      return
    }
    s.ownAdds += n
    this.markDirty(s, bit)
  }

  /** Own-slot absolute values changed since the last takeDelta ([] when nothing changed). */
  takeDelta(): DeltaEntry[] {
    if (this.pendingCells === 0) {
      this.dirtySeries.clear()
      return []
    }
    const out: DeltaEntry[] = []
    for (const s of this.dirtySeries) {
      const refused = s.curRefused
      if ((s.dirty & DIRTY_CURRENT) !== 0) {
        if (s.grantAt >= 0) {
          // Split: say what is left of this node's part, so peers reserve exactly that.
          const claim = this.claimOf(s)
          s.rates![RATES_NODES + 6] = claim
          out.push([s.key, s.windowMs, s.window, s.cur[0]!, refused === null ? 0 : refused[0]!, claim])
        } else if (refused !== null && refused[0]! > 0) out.push([s.key, s.windowMs, s.window, s.cur[0]!, refused[0]!])
        else out.push([s.key, s.windowMs, s.window, s.cur[0]!])
      }
      if ((s.dirty & DIRTY_PREVIOUS) !== 0) {
        if (refused !== null && s.prevRefused![0]! > 0) out.push([s.key, s.windowMs, s.window - 1, s.prev[0]!, s.prevRefused![0]!])
        else out.push([s.key, s.windowMs, s.window - 1, s.prev[0]!])
      }
      s.dirty = 0
    }
    this.dirtySeries.clear()
    this.pendingCells = 0
    return out
  }

  /** How many cells changed since the last takeDelta. */
  pendingDeltaSize(): number {
    return this.pendingCells
  }

  /**
   * Applies `from`'s own-slot values (a delta it sent). Per-slot max: duplicates, reordering and replays change
   * nothing. Entries for windows that are dead at `now`, or more than one window ahead of it, are ignored.
   * Increases also feed `from`'s admission and refusal rates for the budget split. Deltas claiming to be this node's
   * are ignored.
   */
  mergeDelta(from: string, entries: DeltaEntry[], now: number): void {
    const idx = this.nodes.indexOf(from)
    if (idx <= 0) return
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!
      const value = e[3]
      const refused = e[4]
      const claim = e[5]
      const hasRefused = refused !== undefined && refused > 0
      if (!(value > 0) && !hasRefused && claim === undefined) continue
      const s = this.cellSeries(e[0], e[1], e[2], now)
      if (s === null) continue
      if (claim !== undefined && this.split) this.noteClaim(s, idx, e[2], value + (refused ?? 0), claim, now)
      const current = e[2] === s.window
      if (s.cur.length <= idx) s.ensureSlot(idx, this.nodes.ids.length)
      const slots = current ? s.cur : s.prev
      const old = slots[idx]!
      let added = 0
      if (value > old) {
        slots[idx] = value
        if (current) s.curSum += value - old
        else s.prevSum += value - old
        added = value - old
      }
      let refusedMore = 0
      if (hasRefused) {
        s.refusedCells()
        const cells = current ? s.curRefused! : s.prevRefused!
        const before = cells[idx]!
        if (refused > before) {
          cells[idx] = refused
          refusedMore = refused - before
        }
      }
      if (added > 0 || refusedMore > 0) this.notePeerIncrease(s, idx, added, refusedMore, now)
    }
  }

  /**
   * Changes urgentLagMs while running. The node sets it from the gossip lag it measures, so that under load (frames
   * taking longer than the default to arrive and be applied) a node near a limit waits that long before it splits
   * again, instead of splitting on a view that has not caught up yet and over-admitting.
   */
  setUrgentLagMs(ms: number): void {
    if (!(ms >= 0) || ms === Infinity) throw new CounterArgumentError(`urgentLagMs: ${ms} is not a finite number >= 0`)
    this.urgentLagMs = ms
  }

  /** Every live cell with all its non-zero slots (anti-entropy). Cells that died by `now` are dropped first. */
  snapshot(now: number): StateEntry[] {
    const out: StateEntry[] = []
    for (const head of this.byKey.values()) this.snapshotKey(head, now, out)
    return out
  }

  /**
   * snapshot(), a page of about `pageCells` cells per step (a page ends after the key that reaches the size, so all
   * of a key's cells are in one page). Walking half a million cells at once holds the event loop for over a second;
   * a caller that pulls one page per turn never holds it for long. Counts that change between steps are taken as
   * they are when their key is reached (a snapshot is a lower bound that later deltas raise, so that is safe); a key
   * added meanwhile may or may not be included, and its deltas cover it either way.
   */
  *snapshotPages(now: number, pageCells: number): Generator<StateEntry[], void, undefined> {
    if (!(pageCells >= 1)) throw new CounterArgumentError(`pageCells must be at least 1 (got ${pageCells})`)
    let out: StateEntry[] = []
    // A Map iterator visits entries added after it started and skips deleted ones, so the walk survives the
    // insertions and evictions that happen between steps.
    for (const head of this.byKey.values()) {
      this.snapshotKey(head, now, out)
      if (out.length >= pageCells) {
        yield out
        out = []
      }
    }
    if (out.length > 0) yield out
  }

  private snapshotKey(head: WindowSeries, now: number, out: StateEntry[]): void {
    const ids = this.nodes.ids
    for (let s: WindowSeries | null = head; s !== null; s = s.sameKey) {
      const w = Math.floor(now / s.windowMs)
      if (w > s.window) this.advance(s, w)
      if (s.curRefused === null) {
        if (s.curSum > 0) out.push([s.key, s.windowMs, s.window, slotsOf(s.cur, ids)])
        if (s.prevSum > 0) out.push([s.key, s.windowMs, s.window - 1, slotsOf(s.prev, ids)])
      } else {
        const cur = slotsWithRefusals(s.cur, s.curRefused, ids)
        if (cur.length > 0) out.push([s.key, s.windowMs, s.window, cur])
        const prev = slotsWithRefusals(s.prev, s.prevRefused!, ids)
        if (prev.length > 0) out.push([s.key, s.windowMs, s.window - 1, prev])
      }
    }
  }

  /**
   * Merges full cells from a peer's snapshot, per-slot max over every slot (counts and refusals), this node's own
   * included: a restarted node recovers its own counts this way. Does not feed rates (a snapshot is not a rate).
   */
  mergeSnapshot(entries: StateEntry[], now: number): void {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!
      const s = this.cellSeries(e[0], e[1], e[2], now)
      if (s === null) continue
      const slots = e[3]
      for (let j = 0; j < slots.length; j++) {
        const [node, value, refused] = slots[j]!
        const hasRefused = refused !== undefined && refused > 0
        if (!(value > 0) && !hasRefused) continue
        const idx = this.nodes.indexOf(node)
        if (idx < 0) continue
        const current = e[2] === s.window
        if (s.cur.length <= idx) s.ensureSlot(idx, this.nodes.ids.length)
        if (hasRefused) {
          s.refusedCells()
          const cells = current ? s.curRefused! : s.prevRefused!
          if (refused > cells[idx]!) cells[idx] = refused
        }
        const cells = current ? s.cur : s.prev
        const old = cells[idx]!
        if (value <= old) continue
        cells[idx] = value
        if (current) s.curSum += value - old
        else s.prevSum += value - old
        if (s.rates !== null) s.rates[RATES_FREE_UNTIL] = 0
      }
    }
  }

  /**
   * The `limit` keys starting with `prefix` (for windowMs) with the highest sliding estimate at `now`, highest first,
   * ties by key; keys whose estimate is 0 are left out. For the admin API: O(live keys), allocates only the answer.
   */
  topKeys(prefix: string, windowMs: number, now: number, limit: number): Array<{ key: string; estimate: number }> {
    const top: Array<{ key: string; estimate: number }> = []
    if (!(limit >= 1)) return top
    const w = Math.floor(now / windowMs)
    for (const [key, head] of this.byKey) {
      if (!key.startsWith(prefix)) continue
      let s: WindowSeries | null = head
      while (s !== null && s.windowMs !== windowMs) s = s.sameKey
      if (s === null) continue
      if (w > s.window) this.advance(s, w)
      const estimate = this.estimateOf(s, w, now)
      if (!(estimate > 0)) continue
      if (top.length === limit) {
        const last = top[limit - 1]!
        if (estimate < last.estimate || (estimate === last.estimate && key > last.key)) continue
        top.pop()
      }
      // Insertion into the short sorted list.
      let i = top.length
      while (i > 0) {
        const prev = top[i - 1]!
        if (prev.estimate > estimate || (prev.estimate === estimate && prev.key < key)) break
        i--
      }
      top.splice(i, 0, { key, estimate })
    }
    return top
  }

  /**
   * A frame from `peer` arrived at `now` (call it for every counters frame, deltas and snapshots alike, and when
   * the peer connects). The peer becomes live (again, if it was down). The split renews an allotment as soon as
   * every live peer has been heard since it was granted, so a peer that sends a frame every gossip interval, even
   * an empty one, lets the split follow the traffic closely; otherwise renewals wait for gossipDelayMs.
   */
  peerHeard(peer: string, now: number): void {
    const idx = this.nodes.indexOf(peer)
    if (idx > 0) this.nodes.heard(idx, now)
  }

  /** `peer` is considered down: its counts stay, its rate is no longer extrapolated and it gets no part. */
  peerDown(peer: string, _now: number): void {
    const idx = this.nodes.find(peer)
    if (idx > 0) this.nodes.down(idx)
  }

  /**
   * Drops every non-empty cell older than window(now) - 1 and every series with no live cell left. Returns how many
   * non-empty cells were dropped. O(live series).
   */
  prune(now: number): number {
    let dropped = 0
    let s = this.oldest
    while (s !== null) {
      const next = s.lruNewer
      const w = Math.floor(now / s.windowMs)
      if (w > s.window) {
        if (w - s.window >= 2) {
          dropped += (s.curSum > 0 ? 1 : 0) + (s.prevSum > 0 ? 1 : 0)
          this.remove(s)
        } else {
          dropped += this.advance(s, w)
        }
      }
      s = next
    }
    return dropped
  }

  // ---- internals ----

  private estimateOf(s: WindowSeries, w: number, now: number): number {
    if (s.window === w) return s.curSum + s.prevSum * (1 - (now - w * s.windowMs) / s.windowMs)
    // The series is ahead of `now` (a peer's clock, or ours stepping back): window w is its previous cell, and
    // window w - 1 is no longer held.
    return s.countAt(w)
  }

  private find(key: string, windowMs: number): WindowSeries | null {
    let s = this.byKey.get(key) ?? null
    while (s !== null && s.windowMs !== windowMs) s = s.sameKey
    return s
  }

  /** The series of (key, windowMs), created if needed, marked most recently used. */
  private obtain(key: string, windowMs: number, w: number): WindowSeries {
    const head = this.byKey.get(key)
    let s = head ?? null
    while (s !== null && s.windowMs !== windowMs) s = s.sameKey
    if (s !== null) {
      if (s !== this.newest) this.touch(s)
      return s
    }
    if (!Number.isSafeInteger(windowMs) || windowMs <= 0) {
      throw new CounterArgumentError(`windowMs: ${windowMs} is not a positive integer`)
    }
    if (key.length * 3 > this.maxKeyBytes && utf8Length(key) > this.maxKeyBytes) {
      throw new CounterArgumentError(`key of ${utf8Length(key)} UTF-8 bytes is over maxKeyBytes (${this.maxKeyBytes})`)
    }
    if (this.count >= this.maxKeys && this.oldest !== null) {
      this.remove(this.oldest)
      this.evicted++
    }
    const created = new WindowSeries(key, windowMs, w)
    created.sameKey = this.byKey.get(key) ?? null
    this.byKey.set(key, created)
    created.lruOlder = this.newest
    if (this.newest !== null) this.newest.lruNewer = created
    else this.oldest = created
    this.newest = created
    this.count++
    return created
  }

  /**
   * The series holding cell (key, windowMs, window) at `now`, rolled forward as needed, or null when that cell is
   * dead at `now` or more than one window ahead of it (a peer clock that far off is not believed), or when the key
   * or window length could not be stored.
   */
  private cellSeries(key: string, windowMs: number, window: number, now: number): WindowSeries | null {
    const w = Math.floor(now / windowMs)
    if (window < w - 1 || window > w + 1) return null
    // What peers send was validated by the codec, maybe under other limits: skip rather than throw half-way.
    if (!Number.isSafeInteger(windowMs) || windowMs <= 0) return null
    if (key.length * 3 > this.maxKeyBytes && utf8Length(key) > this.maxKeyBytes) return null
    const s = this.obtain(key, windowMs, w)
    if (w > s.window) this.advance(s, w)
    if (window > s.window) this.advance(s, window)
    if (window < s.window - 1) return null
    return s
  }

  private touch(s: WindowSeries): void {
    const newer = s.lruNewer
    const older = s.lruOlder
    if (newer !== null) newer.lruOlder = older
    if (older !== null) older.lruNewer = newer
    else this.oldest = newer
    s.lruOlder = this.newest
    s.lruNewer = null
    if (this.newest !== null) this.newest.lruNewer = s
    this.newest = s
  }

  private remove(s: WindowSeries): void {
    const head = this.byKey.get(s.key)
    if (head === s) {
      if (s.sameKey !== null) this.byKey.set(s.key, s.sameKey)
      else this.byKey.delete(s.key)
    } else {
      let p = head ?? null
      while (p !== null && p.sameKey !== s) p = p.sameKey
      if (p !== null) p.sameKey = s.sameKey
    }
    const newer = s.lruNewer
    const older = s.lruOlder
    if (newer !== null) newer.lruOlder = older
    else this.newest = older
    if (older !== null) older.lruNewer = newer
    else this.oldest = newer
    s.lruNewer = null
    s.lruOlder = null
    s.sameKey = null
    if (s.dirty !== 0) {
      this.pendingCells -= bitCount(s.dirty)
      s.dirty = 0
      this.dirtySeries.delete(s)
    }
    s.removed = true
    this.count--
  }

  /** Counts a split refusal of `cost` in this node's refusal slot of window `w` and marks it for the next delta. */
  private countRefusal(s: WindowSeries, w: number, cost: number, now: number): void {
    const n = Math.ceil(cost)
    if (!(n >= 1)) return
    const rates = this.ratesOf(s, now)
    s.refusedCells()
    let bit: number
    if (w === s.window) {
      s.curRefused![0] = s.curRefused![0]! + n
      bit = DIRTY_CURRENT
    } else if (w === s.window - 1) {
      s.prevRefused![0] = s.prevRefused![0]! + n
      bit = DIRTY_PREVIOUS
    } else {
      return
    }
    rates[RATES_NODES + 3] = rates[RATES_NODES + 3]! + n
    this.markDirty(s, bit)
  }

  /** Marks an own cell (DIRTY_CURRENT or DIRTY_PREVIOUS) for the next delta. */
  private markDirty(s: WindowSeries, bit: number): void {
    if ((s.dirty & bit) !== 0) return
    if (s.dirty === 0) this.dirtySeries.add(s)
    s.dirty |= bit
    this.pendingCells++
  }

  /** What this node may still admit of its current part (its claim), for a split key. */
  private claimOf(s: WindowSeries): number {
    const left = s.allotment - (s.ownAdds - s.grantBase)
    return left > 0 ? left : 0
  }

  /**
   * `idx` announced its claim on the key, as of its count + refusals `version` in `window`. Announcements are not
   * monotonic, so an older one (a frame overtaken by a later one) must not replace a newer one.
   */
  private noteClaim(s: WindowSeries, idx: number, window: number, version: number, claim: number, now: number): void {
    const rates = this.ratesOf(s, now)
    const base = RATES_NODES + RATES_STRIDE * idx
    const at = rates[base + 7]!
    if (window < at || (window === at && version < rates[base + 8]!)) return
    rates[base + 6] = claim
    rates[base + 7] = window
    rates[base + 8] = version
  }

  private advance(s: WindowSeries, w: number): number {
    const before = s.dirty
    const died = s.advance(w)
    if (before !== 0) {
      this.pendingCells -= bitCount(before) - bitCount(s.dirty)
      if (s.dirty === 0) this.dirtySeries.delete(s)
    }
    return died
  }

  // ---- budget split ----

  /** Tight/free decision for a request that the local estimate allows. May (re)grant this node's allotment. */
  private splitAllows(s: WindowSeries, limit: number, est: number, cost: number, now: number, w: number): boolean {
    if (s.grantAt < 0) {
      const r = s.rates
      if (r !== null) {
        const gap = limit - est - cost
        if (now < r[RATES_FREE_UNTIL]! && gap >= r[RATES_FREE_ABOVE]!) return true
        if (gap >= this.freeAboveBound(r, now)) return true
      }
    } else if (!this.mayRegrant(s, limit, now, w)) {
      if (s.ownAdds - s.grantBase + cost <= s.allotment) return true
      // Spent. Near the limit the peers' admissions arrive within urgentLagMs (urgent flush): once that long has
      // passed since the split, what this node would wait for is here, so it splits again. Not sooner: a burst of
      // requests handled in one event-loop turn sees nothing new (the flushes go out at the end of the turn), and
      // splitting again for each of them would let this node take the peers' parts one by one.
      if (limit - est > this.urgentFlushWithin || now - s.grantAt < this.urgentLagMs) return false
    }
    const view = this.fillView(s, limit, est, cost, now)
    const d = decideBudget(view, this.policy, this.decision)
    const rates = s.rates!
    if (!d.tight) {
      s.grantAt = -1
      rates[RATES_NODES + 6] = -1
      rates[RATES_FREE_ABOVE] = d.freeAbove
      rates[RATES_FREE_UNTIL] = now + this.freeCacheMs
      rates[RATES_CLAIMS_AT] = -Infinity
      return true
    }
    s.grantAt = now
    s.grantLimit = limit
    s.grantBase = s.ownAdds
    s.allotment = d.allotments[0]!
    // Near the limit a split is cheap to redo, so take only the unit this request needs: a part held for later is
    // a claim the peers must reserve, and its shrinking is only news for them at the next tick. Except when the
    // demand is all here (this node has some, no peer has any): then keep the whole part, so that a client that
    // stays on this node does not need a split, and a wait of urgentLagMs, per request.
    // A cold split (see BudgetView.cold) keeps its whole equal part: the peers may be taking theirs right now, and a
    // second split before their announcements arrive would see their parts as free.
    if (view.urgent && !view.cold && s.allotment > 1 && (view.demanded[0] === 0 || peersHaveDemand(view))) s.allotment = 1
    // A new part is news for the peers even when this request is not admitted (another rule may reject it).
    if (s.allotment !== rates[RATES_NODES + 6] && w === s.window) this.markDirty(s, DIRTY_CURRENT)
    rates[RATES_FREE_UNTIL] = 0
    const viewNodes = this.viewNodes
    for (let v = 1; v < view.count; v++) {
      const base = RATES_NODES + RATES_STRIDE * viewNodes[v]!
      rates[base + 3] = rates[base + 2]! + d.allotments[v]!
    }
    rates[RATES_CLAIMS_AT] = now
    return cost <= s.allotment
  }

  /**
   * An upper bound of DecideBudget's freeAbove in O(1), from stored (undecayed, hence larger) rates, the stalest
   * live peer, and no claims (a free key has none): when the gap clears it, the key is free without looking at
   * every peer. Keys far from their limit, nearly all of them, take this path.
   */
  private freeAboveBound(rates: number[], now: number): number {
    const tau = this.tau
    const observed = now - rates[RATES_SINCE]!
    // The warm-up correction (see fillView) is below 1% after 5 time constants.
    const scale = observed > 5 * tau ? 1.01 : 1 / (1 - Math.exp(-(observed > this.foldMs ? observed : this.foldMs) / tau))
    const d = this.gossipDelayMs
    const lag = now - this.nodes.allHeardSince
    const peers = rates[RATES_PEER_SUM]! > 0 ? rates[RATES_PEER_SUM]! : 0
    const policy = this.policy
    return (
      scale * (peers * ((lag > 0 ? lag : 0) + d / 2 + policy.tightDelays * d) + policy.tightDelays * d * rates[RATES_NODES]!) +
      (1 + this.nodes.liveCount) * policy.burstPerNode
    )
  }

  /** A split may be redone once every live peer was heard since it, or a gossip delay passed, or the window moved. */
  private mayRegrant(s: WindowSeries, limit: number, now: number, w: number): boolean {
    return (
      this.nodes.allHeardSince > s.grantAt ||
      now - s.grantAt >= this.gossipDelayMs ||
      limit !== s.grantLimit ||
      Math.floor(s.grantAt / s.windowMs) !== w
    )
  }

  private fillView(s: WindowSeries, limit: number, est: number, cost: number, now: number) {
    const view = this.view
    const nodes = this.nodes
    const live = nodes.live
    const rates = this.ratesOf(s, now)
    this.foldOwnRate(s, rates, now)
    const tau = this.tau
    // An exponentially weighted rate that started from 0 a short while ago underestimates by the weight it has not
    // accumulated yet; dividing by that weight gives the mean rate over the time observed (what a cold burst needs).
    const observed = now - rates[RATES_SINCE]!
    const scale = 1 / (1 - Math.exp(-(observed > this.foldMs ? observed : this.foldMs) / tau))
    view.limit = limit
    view.estimate = est
    view.cost = cost
    view.now = now
    view.windowMs = s.windowMs
    view.count = 1 + live.length
    view.ids[0] = this.self
    view.rates[0] = rates[RATES_NODES]! * scale
    view.refusals[0] = rates[RATES_NODES + 4]! * scale
    view.demanded[0] = demandedIn(s, 0)
    view.admitted[0] = s.cur[0]! + s.prev[0]!
    view.heardAt[0] = now
    view.claims[0] = 0
    view.urgent = limit - est <= this.urgentFlushWithin
    const claimsValid = now - rates[RATES_CLAIMS_AT]! <= this.claimTtl
    // Cold: this node's first split of the key in this window, and (below) no peer has shown demand or announced
    // a part, so every peer may be making its first split right now too.
    let cold = view.urgent && (s.grantAt < 0 || Math.floor(s.grantAt / s.windowMs) !== s.window)
    for (let i = 0; i < live.length; i++) {
      const k = live[i]!
      const base = RATES_NODES + RATES_STRIDE * k
      const v = i + 1
      this.viewNodes[v] = k
      view.ids[v] = nodes.ids[k]!
      const dt = now - rates[base + 1]!
      const decay = dt > 0 ? Math.exp(-dt / tau) * scale : scale
      view.rates[v] = rates[base]! * decay
      view.refusals[v] = rates[base + 4]! * decay
      view.demanded[v] = demandedIn(s, k)
      view.admitted[v] = k < s.cur.length ? s.cur[k]! + s.prev[k]! : 0
      view.heardAt[v] = nodes.heardAt[k]!
      if (view.urgent) {
        // Near the limit the peers' own claims arrive with their admissions: reserve what each said it may still
        // admit in this window (nothing if it has not split the key in this window: it holds no part).
        view.claims[v] = rates[base + 7] === s.window ? rates[base + 6]! : 0
        if (rates[base + 7] === s.window || view.demanded[v]! > 0) cold = false
      } else {
        const claim = rates[base + 3]! - rates[base + 2]!
        view.claims[v] = claimsValid && claim > 0 ? claim : 0
      }
    }
    view.cold = cold && view.count > 1
    return view
  }

  /** The series' rate array, allocated (rates start at 0) or grown to the registry's size, exactly. */
  private ratesOf(s: WindowSeries, now: number): number[] {
    const rates = s.rates
    const need = RATES_NODES + RATES_STRIDE * this.nodes.ids.length
    if (rates !== null && rates.length >= need) return rates
    // Doubles from the start (0.5 placeholders), so V8 stores the array unboxed and never changes its kind.
    const grown = new Array<number>(need).fill(0.5)
    let from = 0
    if (rates === null) {
      grown[RATES_SINCE] = now
      grown[RATES_FREE_UNTIL] = 0
      grown[RATES_FREE_ABOVE] = 0
      grown[RATES_CLAIMS_AT] = -Infinity
      grown[RATES_PEER_SUM] = 0
      grown[RATES_NODES + 2] = s.ownAdds
      from = RATES_NODES
    } else {
      for (let i = 0; i < rates.length; i++) grown[i] = rates[i]!
      from = rates.length
    }
    for (let b = from; b < need; b += RATES_STRIDE) {
      grown[b] = 0
      grown[b + 1] = now
      if (b !== RATES_NODES) grown[b + 2] = 0
      grown[b + 3] = 0
      grown[b + 4] = 0
      grown[b + 5] = 0
      grown[b + 6] = b === RATES_NODES ? -1 : 0
      grown[b + 7] = -Infinity
      grown[b + 8] = 0
    }
    s.rates = grown
    return grown
  }

  /**
   * Folds own admissions and split refusals since the last fold into the own rates, as if spread evenly since then
   * (they were: folds happen at least every foldMs while the key is busy). Exponentially weighted, time constant tau.
   */
  private foldOwnRate(s: WindowSeries, rates: number[], now: number): void {
    const base = RATES_NODES
    const dt = now - rates[base + 1]!
    const added = s.ownAdds - rates[base + 2]!
    const refused = rates[base + 3]! - rates[base + 5]!
    rates[base + 2] = s.ownAdds
    rates[base + 5] = rates[base + 3]!
    if (dt <= 0) {
      rates[base] = rates[base]! + added / this.tau
      rates[base + 4] = rates[base + 4]! + refused / this.tau
      return
    }
    const decay = Math.exp(-dt / this.tau)
    rates[base] = rates[base]! * decay + (added / dt) * (1 - decay)
    rates[base + 4] = rates[base + 4]! * decay + (refused / dt) * (1 - decay)
    rates[base + 1] = now
  }

  /**
   * A peer's slot rose by `added` and its refusals by `refused`: it did that since its previous frame, i.e. within
   * about one gossip delay, so the increases are spread over at most that long when folded into its rates.
   */
  private notePeerIncrease(s: WindowSeries, idx: number, added: number, refused: number, now: number): void {
    if (!this.split) return
    const rates = this.ratesOf(s, now)
    rates[RATES_FREE_UNTIL] = 0
    const base = RATES_NODES + RATES_STRIDE * idx
    const dt = now - rates[base + 1]!
    rates[base + 2] = rates[base + 2]! + added
    rates[base + 5] = rates[base + 5]! + refused
    const old = rates[base]!
    let rate: number
    if (dt <= 0) {
      rate = old + added / this.tau
      rates[base + 4] = rates[base + 4]! + refused / this.tau
    } else {
      const spread = dt < this.gossipDelayMs ? dt : this.gossipDelayMs
      const decay = Math.exp(-dt / this.tau)
      const gain = (1 - Math.exp(-spread / this.tau)) / spread
      rate = old * decay + added * gain
      rates[base + 4] = rates[base + 4]! * decay + refused * gain
      rates[base + 1] = now
    }
    rates[base] = rate
    rates[RATES_PEER_SUM] = rates[RATES_PEER_SUM]! + (rate - old)
  }
}

function peersHaveDemand(view: BudgetView): boolean {
  for (let k = 1; k < view.count; k++) if (view.demanded[k]! > 0) return true
  return false
}

/** What node index k admitted or was split-refused in the series' live cells (0: no demand seen this window or last). */
function demandedIn(s: WindowSeries, k: number): number {
  if (k >= s.cur.length) return 0
  let n = s.cur[k]! + s.prev[k]!
  if (s.curRefused !== null) n += s.curRefused[k]! + s.prevRefused![k]!
  return n
}

function slotsOf(cells: number[], ids: string[]): StateEntry[3] {
  const out: StateEntry[3] = []
  for (let i = 0; i < cells.length; i++) {
    const v = cells[i]!
    if (v > 0) out.push([ids[i]!, v])
  }
  return out
}

function slotsWithRefusals(cells: number[], refused: number[], ids: string[]): StateEntry[3] {
  const out: StateEntry[3] = []
  for (let i = 0; i < cells.length; i++) {
    const v = cells[i]!
    const r = refused[i]!
    if (r > 0) out.push([ids[i]!, v, r])
    else if (v > 0) out.push([ids[i]!, v])
  }
  return out
}
