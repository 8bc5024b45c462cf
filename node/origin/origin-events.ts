// What the origin saw, for tests and benchmarks that must assert on the upstream side of a proxy:
// requests per path, requests whose client left before the response ended (a proxy that aborts its
// upstream request on client disconnect shows up here), and the forwarding headers of the last 1000
// requests. The ring is kept as parallel arrays written in place, so recording a request allocates
// nothing beyond the header strings uWS hands over.
import type { HttpRequest } from '@trufflesuite/uws-js-unofficial'
import { OriginWaitTimeoutError } from './errors.js'

/** One request as recorded; a header that was absent (or empty) is null. */
export interface OriginRequestRecord {
  /** 1 for the first request recorded since start or the last reset. */
  seq: number
  /** Upper-case method. */
  method: string
  /** Raw path as received (no query), percent-encoding untouched. */
  path: string
  host: string | null
  connection: string | null
  xForwardedFor: string | null
  xForwardedProto: string | null
  xRequestId: string | null
}

export interface OriginEventsSnapshot {
  /** Requests recorded (every route except /__origin/events itself). */
  total: number
  /** Requests per raw path. */
  requests: Record<string, number>
  /** Requests whose client went away before the response ended. */
  aborted: number
  abortedByPath: Record<string, number>
  /** The last requests recorded (at most 1000), oldest first. */
  recent: OriginRequestRecord[]
}

/**
 * Read side of the origin's request log, usable in-process (`origin.events`) and, as JSON, at
 * `GET /__origin/events` (`DELETE /__origin/events` resets). Counts start at zero when the origin starts.
 */
export interface OriginEvents {
  /** A copy of the counters and of the last `recentLimit` (default all, at most 1000) ring records. */
  snapshot(recentLimit?: number): OriginEventsSnapshot
  /** Requests recorded for exactly this raw path (no query); 0 if none. */
  requestCount(path: string): number
  /** Requests whose client went away before the response ended. */
  abortedCount(): number
  /** Zeroes every counter and empties the ring. */
  reset(): void
  /**
   * Resolves with the first snapshot for which `condition` holds, checking now and then every few
   * milliseconds; rejects with OriginWaitTimeoutError after `timeoutMs`.
   */
  waitFor(condition: (snapshot: OriginEventsSnapshot) => boolean, timeoutMs: number): Promise<OriginEventsSnapshot>
}

/** Hard limits: paths come from clients, so the per-path tables are capped. */
export const EVENT_LIMITS = {
  ringSize: 1000,
  maxDistinctPaths: 10_000,
  maxPathKeyLength: 1024,
  /** Key under which requests to paths beyond maxDistinctPaths are counted. */
  overflowPathKey: '(other paths)',
} as const

const WAIT_POLL_MS = 5

export class OriginEventRecorder implements OriginEvents {
  private total = 0
  private abortedTotal = 0
  private readonly perPath = new Map<string, number>()
  private readonly abortedPerPath = new Map<string, number>()
  private next = 0
  private filled = 0
  private readonly seq: number[] = new Array<number>(EVENT_LIMITS.ringSize).fill(0)
  private readonly method: string[] = new Array<string>(EVENT_LIMITS.ringSize).fill('')
  private readonly path: string[] = new Array<string>(EVENT_LIMITS.ringSize).fill('')
  private readonly host: string[] = new Array<string>(EVENT_LIMITS.ringSize).fill('')
  private readonly connection: string[] = new Array<string>(EVENT_LIMITS.ringSize).fill('')
  private readonly xff: string[] = new Array<string>(EVENT_LIMITS.ringSize).fill('')
  private readonly xfp: string[] = new Array<string>(EVENT_LIMITS.ringSize).fill('')
  private readonly xrid: string[] = new Array<string>(EVENT_LIMITS.ringSize).fill('')

  /** Records one request; call synchronously in the uWS handler (HttpRequest dies when it returns). */
  record(req: HttpRequest, method: string, path: string): void {
    this.total++
    bump(this.perPath, path)
    const i = this.next
    this.seq[i] = this.total
    this.method[i] = method
    this.path[i] = path
    this.host[i] = req.getHeader('host')
    this.connection[i] = req.getHeader('connection')
    this.xff[i] = req.getHeader('x-forwarded-for')
    this.xfp[i] = req.getHeader('x-forwarded-proto')
    this.xrid[i] = req.getHeader('x-request-id')
    this.next = i + 1 === EVENT_LIMITS.ringSize ? 0 : i + 1
    if (this.filled < EVENT_LIMITS.ringSize) this.filled++
  }

  recordAborted(path: string): void {
    this.abortedTotal++
    bump(this.abortedPerPath, path)
  }

  snapshot(recentLimit: number = EVENT_LIMITS.ringSize): OriginEventsSnapshot {
    const count = Math.max(0, Math.min(this.filled, Math.floor(recentLimit)))
    const recent: OriginRequestRecord[] = []
    const size = EVENT_LIMITS.ringSize
    for (let k = count; k > 0; k--) {
      const i = (this.next - k + size) % size
      recent.push({
        seq: this.seq[i]!,
        method: this.method[i]!,
        path: this.path[i]!,
        host: orNull(this.host[i]!),
        connection: orNull(this.connection[i]!),
        xForwardedFor: orNull(this.xff[i]!),
        xForwardedProto: orNull(this.xfp[i]!),
        xRequestId: orNull(this.xrid[i]!),
      })
    }
    return {
      total: this.total,
      requests: Object.fromEntries(this.perPath),
      aborted: this.abortedTotal,
      abortedByPath: Object.fromEntries(this.abortedPerPath),
      recent,
    }
  }

  requestCount(path: string): number {
    return this.perPath.get(path) ?? 0
  }

  abortedCount(): number {
    return this.abortedTotal
  }

  reset(): void {
    this.total = 0
    this.abortedTotal = 0
    this.perPath.clear()
    this.abortedPerPath.clear()
    this.next = 0
    this.filled = 0
  }

  waitFor(condition: (snapshot: OriginEventsSnapshot) => boolean, timeoutMs: number): Promise<OriginEventsSnapshot> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs
      const check = (): void => {
        const snap = this.snapshot()
        if (condition(snap)) {
          resolve(snap)
          return
        }
        if (Date.now() >= deadline) {
          reject(new OriginWaitTimeoutError(`origin events: condition not met within ${timeoutMs} ms (total ${snap.total}, aborted ${snap.aborted})`))
          return
        }
        setTimeout(check, WAIT_POLL_MS)
      }
      check()
    })
  }
}

function orNull(value: string): string | null {
  return value === '' ? null : value
}

function bump(table: Map<string, number>, path: string): void {
  const current = table.get(path)
  if (current !== undefined) {
    table.set(path, current + 1)
    return
  }
  let key = path.length > EVENT_LIMITS.maxPathKeyLength ? `${path.slice(0, EVENT_LIMITS.maxPathKeyLength)}…` : path
  if (table.size >= EVENT_LIMITS.maxDistinctPaths && !table.has(key)) key = EVENT_LIMITS.overflowPathKey
  table.set(key, (table.get(key) ?? 0) + 1)
}
