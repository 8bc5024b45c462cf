// An open-loop HTTP load at a fixed rate, from many client addresses (what wrk2 does; wrk and autocannon without a
// rate send as fast as answers come back, which hides latency behind a slower send rate).
//
// Each stream has a rate: request k falls due at start + k/rate. A 1 ms timer sends every request that is due, so a
// slow server never slows the sender (no coordinated omission): latency is measured from when a request fell due,
// and how late the client itself sent it is reported beside (`lateMs`), so a saturated client is visible.
// Requests go to the targets by smooth weighted round robin (uniform, or one node taking 80%), to the paths in turn,
// and from each source address in turn: every (target, address) pair has its own undici Pool bound to that local
// address (127.0.0.x on loopback), so a limiter keyed by client address sees many clients.
//
// Per-window counts (for the accuracy harness): a response belongs to the window of `windowMs` that holds both the
// moment it was sent and the moment it was answered — the node decided in between, on the same clock. One that
// straddles a boundary is counted as ambiguous, never guessed — against every window it touches, so each window's
// true count is known to lie in a range; `guardMs` keeps requests from falling due that close to a boundary, so
// ambiguous ones stay rare.
import * as hdr from 'hdr-histogram-js'
import { Pool, type Dispatcher } from 'undici'
import { BenchOptionsError } from './errors.js'

export interface PacedStream {
  name: string
  /** Requests per second over all targets. */
  rate: number
  /** Request targets (path and query), used in turn. */
  paths: readonly string[]
  /** Relative share of each target (default: equal). */
  weights?: readonly number[]
  /** Count responses per window of this length (wall clock, aligned like the limiter's: floor(t / windowMs)). */
  windowMs?: number
  /** With windowMs: no request falls due within this many ms of a window boundary (default 0). */
  guardMs?: number
}

export interface PacedLoadOptions {
  /** Base URLs (http://host:port), one per node. */
  targets: readonly string[]
  streams: readonly PacedStream[]
  durationMs: number
  /** Local addresses to send from (default ['127.0.0.1']). */
  sourceAddresses?: readonly string[]
  /** Connections of each (target, address) pool (default 2). */
  connectionsPerPool?: number
  /** A request due while this many are in flight is skipped and counted (default 20,000). */
  maxInFlight?: number
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number
  /** Wall-clock ms to start at (e.g. a window boundary); default: now. */
  startAt?: number
  label?: string
  /** Progress lines, one a second (default process.stderr); null for none. */
  progress?: NodeJS.WritableStream | null
}

export interface PacedLatency {
  p50: number
  p90: number
  p99: number
  p999: number
  max: number
  mean: number
}

export interface WindowCount {
  /** Window index: floor(t / windowMs). */
  window: number
  /** Wall-clock start of the window. */
  start: number
  /** Requests sent and answered within this window: admitted (anything but 429 and 503), limited (429), other failures. */
  admitted: number
  limited: number
  failed: number
  /**
   * Answers whose request and response straddle one of this window's boundaries: each may belong to this window
   * or to a neighbour, so the window's true admitted count lies in [admitted, admitted + ambiguous.admitted].
   */
  ambiguous: { admitted: number; limited: number; failed: number }
}

export interface TargetCount {
  target: string
  sent: number
  admitted: number
  limited: number
}

export interface PacedStreamResult {
  name: string
  rate: number
  /** Requests that fell due (guarded ones excluded). */
  due: number
  sent: number
  /** Due while maxInFlight requests were in flight: not sent. */
  skipped: number
  /** Answered with a status. */
  completed: number
  /** Connection errors and timeouts. */
  errors: number
  statuses: Record<string, number>
  admitted: number
  limited: number
  perTarget: TargetCount[]
  /** From when each request fell due to its complete answer. */
  latencyMs: PacedLatency
  /** How late the client sent requests (its own lag). */
  lateMs: { p50: number; p99: number; max: number }
  windows: WindowCount[]
  /** Answers that straddled a window boundary (each also counted in the `ambiguous` of every window it touches). */
  ambiguous: { admitted: number; limited: number; failed: number }
}

export interface PacedLoadResult {
  label: string
  startedAt: number
  durationSec: number
  sourceAddresses: number
  streams: PacedStreamResult[]
}

interface StreamState {
  spec: PacedStream
  index: number
  intervalMs: number
  next: number
  pathIndex: number
  /** Smooth weighted round robin: current weights. */
  current: number[]
  weights: number[]
  weightSum: number
  addressIndex: number[]
  due: number
  sent: number
  skipped: number
  completed: number
  errors: number
  statuses: Map<number, number>
  admitted: number
  limited: number
  perTarget: TargetCount[]
  latency: hdr.Histogram
  late: hdr.Histogram
  windows: Map<number, WindowCount>
  ambiguous: { admitted: number; limited: number; failed: number }
}

const MICROS_MAX = 120_000_000

function histogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: MICROS_MAX, numberOfSignificantValueDigits: 3, useWebAssembly: false })
}

function micros(ms: number): number {
  return Math.min(MICROS_MAX, Math.max(1, Math.round(ms * 1000)))
}

function checkOptions(o: PacedLoadOptions): void {
  if (o.targets.length === 0) throw new BenchOptionsError('targets: empty; give at least one base URL')
  if (!(o.durationMs > 0)) throw new BenchOptionsError(`durationMs: ${o.durationMs} is not positive`)
  if (o.streams.length === 0) throw new BenchOptionsError('streams: empty')
  for (const [i, s] of o.streams.entries()) {
    if (!(s.rate > 0) || !Number.isFinite(s.rate)) throw new BenchOptionsError(`streams[${i}].rate: ${s.rate} is not a positive number`)
    if (s.paths.length === 0) throw new BenchOptionsError(`streams[${i}].paths: empty`)
    if (s.weights !== undefined && (s.weights.length !== o.targets.length || s.weights.some((w) => !(w >= 0)) || s.weights.every((w) => w === 0))) {
      throw new BenchOptionsError(`streams[${i}].weights: give one non-negative weight per target, not all zero`)
    }
    if (s.windowMs !== undefined && !(s.windowMs >= 100)) throw new BenchOptionsError(`streams[${i}].windowMs: ${s.windowMs} is under 100 ms`)
    if ((s.guardMs ?? 0) * 2 >= (s.windowMs ?? Infinity)) throw new BenchOptionsError(`streams[${i}].guardMs: ${s.guardMs} leaves nothing of a ${s.windowMs} ms window`)
  }
}

/**
 * One request's answer, read through undici's raw dispatch handler: the status, then the body discarded chunk by
 * chunk. Cheaper per request than request() (no stream object, no promise): the client shares a core with the
 * origin. The Pool's Client takes the classic handler calls (onConnect/onHeaders/onData/onComplete/onError) — the
 * same ones node/proxy/proxy-exchange.ts implements.
 */
class Exchange {
  private status = -1
  private readonly finish: (status: number) => void

  constructor(finish: (status: number) => void) {
    this.finish = finish
  }

  onConnect(): void {}

  onHeaders(statusCode: number): boolean {
    this.status = statusCode
    return true
  }

  onData(): boolean {
    return true
  }

  onComplete(): void {
    this.finish(this.status)
  }

  onError(): void {
    this.finish(-1)
  }
}

function windowCount(s: StreamState, w: number, windowMs: number): WindowCount {
  let c = s.windows.get(w)
  if (c === undefined) {
    c = { window: w, start: w * windowMs, admitted: 0, limited: 0, failed: 0, ambiguous: { admitted: 0, limited: 0, failed: 0 } }
    s.windows.set(w, c)
  }
  return c
}

/** Picks the next target by smooth weighted round robin (nginx's algorithm: even spacing, exact shares). */
function pickTarget(s: StreamState): number {
  let best = 0
  for (let i = 0; i < s.current.length; i++) {
    s.current[i]! += s.weights[i]!
    if (s.current[i]! > s.current[best]!) best = i
  }
  s.current[best]! -= s.weightSum
  return best
}

/** True when wall-clock time `t` lies within `guardMs` of a boundary of windows of `windowMs`. */
export function nearBoundary(t: number, windowMs: number, guardMs: number): boolean {
  if (guardMs <= 0) return false
  const into = ((t % windowMs) + windowMs) % windowMs
  return into < guardMs || windowMs - into <= guardMs
}

/** The window both instants share, or undefined when a boundary lies between them. */
export function sharedWindow(sentAt: number, answeredAt: number, windowMs: number): number | undefined {
  const a = Math.floor(sentAt / windowMs)
  return a === Math.floor(answeredAt / windowMs) ? a : undefined
}

function latencySummary(h: hdr.Histogram): PacedLatency {
  if (h.totalCount === 0) return { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 }
  return {
    p50: h.getValueAtPercentile(50) / 1000,
    p90: h.getValueAtPercentile(90) / 1000,
    p99: h.getValueAtPercentile(99) / 1000,
    p999: h.getValueAtPercentile(99.9) / 1000,
    max: h.maxValue / 1000,
    mean: h.mean / 1000,
  }
}

export async function runPacedLoad(o: PacedLoadOptions): Promise<PacedLoadResult> {
  checkOptions(o)
  const addresses = o.sourceAddresses !== undefined && o.sourceAddresses.length > 0 ? [...o.sourceAddresses] : ['127.0.0.1']
  const connections = o.connectionsPerPool ?? 2
  const maxInFlight = o.maxInFlight ?? 20_000
  const timeoutMs = o.timeoutMs ?? 10_000
  const label = o.label ?? 'paced'
  const out = o.progress === undefined ? process.stderr : o.progress
  const pools = o.targets.map((t) => addresses.map((localAddress) => new Pool(t, { connections, localAddress, pipelining: 1, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, keepAliveTimeout: 60_000 })))
  const streams: StreamState[] = o.streams.map((spec, index) => {
    const weights = spec.weights !== undefined ? [...spec.weights] : o.targets.map(() => 1)
    return {
      spec,
      index,
      intervalMs: 1000 / spec.rate,
      next: 0,
      pathIndex: 0,
      current: weights.map(() => 0),
      weights,
      weightSum: weights.reduce((a, b) => a + b, 0),
      addressIndex: o.targets.map(() => 0),
      due: 0,
      sent: 0,
      skipped: 0,
      completed: 0,
      errors: 0,
      statuses: new Map(),
      admitted: 0,
      limited: 0,
      perTarget: o.targets.map((target) => ({ target, sent: 0, admitted: 0, limited: 0 })),
      latency: histogram(),
      late: histogram(),
      windows: new Map(),
      ambiguous: { admitted: 0, limited: 0, failed: 0 },
    }
  })

  if (o.startAt !== undefined) {
    const wait = o.startAt - Date.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
  }
  // Wall clock for windows (the limiter's clock), monotonic clock for latency.
  const wallStart = Date.now()
  const perfStart = performance.now()
  let inFlight = 0
  let allSent!: () => void
  const drained = new Promise<void>((r) => (allSent = r))
  let scheduling = true

  const count = (s: StreamState, target: number, status: number, sentAt: number): void => {
    const answeredAt = Date.now()
    const limited = status === 429
    const admitted = status > 0 && !limited && status !== 503
    if (status > 0) {
      s.completed++
      s.statuses.set(status, (s.statuses.get(status) ?? 0) + 1)
    } else s.errors++
    if (admitted) {
      s.admitted++
      s.perTarget[target]!.admitted++
    } else if (limited) {
      s.limited++
      s.perTarget[target]!.limited++
    }
    const windowMs = s.spec.windowMs
    if (windowMs !== undefined) {
      const add = (bucket: { admitted: number; limited: number; failed: number }): void => {
        if (admitted) bucket.admitted++
        else if (limited) bucket.limited++
        else bucket.failed++
      }
      const w = sharedWindow(sentAt, answeredAt, windowMs)
      if (w !== undefined) add(windowCount(s, w, windowMs))
      else {
        add(s.ambiguous)
        const last = Math.floor(answeredAt / windowMs)
        for (let x = Math.floor(sentAt / windowMs); x <= last; x++) add(windowCount(s, x, windowMs).ambiguous)
      }
    }
  }

  const send = (s: StreamState, dueAt: number, now: number): void => {
    if (inFlight >= maxInFlight) {
      s.skipped++
      return
    }
    const target = o.targets.length === 1 ? 0 : pickTarget(s)
    const a = s.addressIndex[target]!
    s.addressIndex[target] = a + 1 === addresses.length ? 0 : a + 1
    const path = s.spec.paths[s.pathIndex]!
    s.pathIndex = s.pathIndex + 1 === s.spec.paths.length ? 0 : s.pathIndex + 1
    s.sent++
    s.perTarget[target]!.sent++
    s.late.recordValue(micros(now - dueAt))
    inFlight++
    const sentAt = Date.now()
    const finish = (status: number): void => {
      s.latency.recordValue(micros(performance.now() - dueAt))
      count(s, target, status, sentAt)
      inFlight--
      if (!scheduling && inFlight === 0) allSent()
    }
    pools[target]![a]!.dispatch({ path, method: 'GET' }, new Exchange(finish) as Dispatcher.DispatchHandler)
  }

  const endPerf = perfStart + o.durationMs
  const tick = (): void => {
    const now = performance.now()
    const horizon = Math.min(now, endPerf)
    for (const s of streams) {
      for (;;) {
        const dueAt = perfStart + s.next * s.intervalMs
        if (dueAt > horizon) break
        s.next++
        const windowMs = s.spec.windowMs
        if (windowMs !== undefined && nearBoundary(wallStart + (dueAt - perfStart), windowMs, s.spec.guardMs ?? 0)) continue
        s.due++
        send(s, dueAt, now)
      }
    }
    if (now < endPerf) setTimeout(tick, 1)
    else {
      scheduling = false
      if (inFlight === 0) allSent()
    }
  }

  let lastSent = 0
  const progress = setInterval(() => {
    if (out === null) return
    const sent = streams.reduce((n, s) => n + s.sent, 0)
    const elapsed = Math.round((performance.now() - perfStart) / 1000)
    out.write(`  [${label}] paced ${Math.min(elapsed, Math.round(o.durationMs / 1000))}/${Math.round(o.durationMs / 1000)} s  sending ≈ ${(sent - lastSent).toLocaleString('en-US')} req/s, in flight ${inFlight}\n`)
    lastSent = sent
  }, 1000)
  tick()
  // Wait for the last answers, but never longer than one request may take.
  let timer: NodeJS.Timeout | undefined
  await Promise.race([drained.then(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, o.durationMs + timeoutMs + 2000)))])
  clearTimeout(timer)
  clearInterval(progress)
  await Promise.all(pools.flat().map((p) => p.destroy()))

  const durationSec = o.durationMs / 1000
  return {
    label,
    startedAt: wallStart,
    durationSec,
    sourceAddresses: addresses.length,
    streams: streams.map((s) => {
      const result: PacedStreamResult = {
        name: s.spec.name,
        rate: s.spec.rate,
        due: s.due,
        sent: s.sent,
        skipped: s.skipped,
        completed: s.completed,
        errors: s.errors,
        statuses: Object.fromEntries([...s.statuses].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v])),
        admitted: s.admitted,
        limited: s.limited,
        perTarget: s.perTarget,
        latencyMs: latencySummary(s.latency),
        lateMs: { p50: s.late.totalCount === 0 ? 0 : s.late.getValueAtPercentile(50) / 1000, p99: s.late.totalCount === 0 ? 0 : s.late.getValueAtPercentile(99) / 1000, max: s.late.maxValue / 1000 },
        windows: [...s.windows.values()].sort((a, b) => a.window - b.window).map((w) => ({ ...w, ambiguous: { ...w.ambiguous } })),
        ambiguous: { ...s.ambiguous },
      }
      s.latency.destroy()
      s.late.destroy()
      return result
    }),
  }
}
