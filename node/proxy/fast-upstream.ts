// The fast upstream client: a small pipelined HTTP/1.1 client for the proxy's hot path, used for GET and HEAD
// without a body (everything else goes through undici). Measured in NOTES-performance.md and bench-upstream.ts: what
// makes it faster than undici here is that the requests of one event-loop turn leave in ONE write per connection,
// on a few keep-alive connections with a small pipelining depth, and that little JavaScript runs per request.
//
//   dispatch() ──▶ least-loaded connection with room (a new one in a free slot when all are busy); a connection
//                  whose response body is still streaming, or with a HEAD queued, takes no more (acceptsRequests)
//        │              └─ enqueue: head appended to that connection's outgoing string
//        └─ none has room ──▶ FIFO queue (linked through the requests) ──▶ taken as responses end
//   setImmediate (once per turn) ──▶ each connection written to this turn: one socket.write
//   one interval timer (only while something is open) ──▶ headers/body timeouts, idle connections, queue deadlines
//
// Handlers get undici's legacy dispatch calls (see UpstreamHandler), so ProxyExchange works with either client.
// What happens to requests when a connection ends is described in upstream-connection.ts.
import type { ConnectionOptions } from 'node:tls'
import { UpstreamClientClosedError, UpstreamHeadersTimeoutError } from './errors.js'
import { PARSER_LIMITS } from './http1-response-parser.js'
import { CloseMode, UpstreamConnection, type ConnectionOwner, type ConnectionSettings } from './upstream-connection.js'
import { serializeRequestHead, UpstreamRequest, type RequestOwner, type UpstreamHandler, type UpstreamRequestOptions } from './upstream-request.js'

export interface FastUpstreamOptions {
  /** http:// or https:// origin (scheme, host, port). */
  url: string
  /** Keep-alive connections at most (default 8). */
  connections?: number
  /** Requests in flight per connection, 1 = no pipelining (default 4). */
  pipelining?: number
  /** No response headers within this long after dispatch → 504 (default 10 s). */
  headersTimeoutMs?: number
  /** A response body idle this long → the response is cut (default 30 s). */
  bodyTimeoutMs?: number
  /** TCP + TLS handshake (default 3 s). */
  connectTimeoutMs?: number
  /** Idle connections are closed after this (default 4 s). */
  keepAliveTimeoutMs?: number
  /** Largest response head or trailer section (default 64 KiB). */
  maxHeaderBytes?: number
  /** Extra TLS options for an https upstream (e.g. `ca` for a private CA); SNI is the URL's host. */
  tls?: ConnectionOptions
}

export const FAST_UPSTREAM_DEFAULTS = {
  connections: 8,
  pipelining: 4,
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 30_000,
  connectTimeoutMs: 3000,
  keepAliveTimeoutMs: 4000,
} as const

export class FastUpstream implements ConnectionOwner, RequestOwner {
  readonly origin: string
  readonly settings: ConnectionSettings
  readonly connections: number
  readonly pipelining: number
  tlsSession: Buffer | undefined = undefined
  /** connections: opened so far; tlsResumed: handshakes that resumed a session; resent: requests sent again. */
  readonly counters = { connections: 0, tlsResumed: 0, resent: 0 }

  private readonly slots: Array<UpstreamConnection | null>
  private queueHead: UpstreamRequest | null = null
  private queueTail: UpstreamRequest | null = null
  private readonly toFlush: UpstreamConnection[] = []
  private flushScheduled = false
  private timer: NodeJS.Timeout | null = null
  private readonly tickMs: number
  private closed = false

  constructor(options: FastUpstreamOptions) {
    const url = new URL(options.url)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`fast upstream: ${options.url} is not an http:// or https:// URL`)
    const https = url.protocol === 'https:'
    this.origin = url.origin
    this.connections = options.connections ?? FAST_UPSTREAM_DEFAULTS.connections
    this.pipelining = options.pipelining ?? FAST_UPSTREAM_DEFAULTS.pipelining
    if (!(this.connections >= 1) || !(this.pipelining >= 1)) throw new RangeError('fast upstream: connections and pipelining must be at least 1')
    this.settings = {
      // URL keeps IPv6 literals in brackets; sockets want them bare.
      host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
      tls: https ? { ...options.tls } : null,
      connectTimeoutMs: options.connectTimeoutMs ?? FAST_UPSTREAM_DEFAULTS.connectTimeoutMs,
      headersTimeoutMs: options.headersTimeoutMs ?? FAST_UPSTREAM_DEFAULTS.headersTimeoutMs,
      bodyTimeoutMs: options.bodyTimeoutMs ?? FAST_UPSTREAM_DEFAULTS.bodyTimeoutMs,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? FAST_UPSTREAM_DEFAULTS.keepAliveTimeoutMs,
      maxHeaderBytes: options.maxHeaderBytes ?? PARSER_LIMITS.maxHeaderBytes,
    }
    const s = this.settings
    // One timer checks every deadline; its period bounds how late a timeout fires (an eighth of the shortest).
    this.tickMs = Math.max(5, Math.min(1000, Math.floor(Math.min(s.headersTimeoutMs, s.bodyTimeoutMs, s.keepAliveTimeoutMs) / 8)))
    this.slots = new Array<UpstreamConnection | null>(this.connections).fill(null)
  }

  /** Sends a GET or HEAD; the handler's methods report the response (see UpstreamHandler). Always returns true. */
  dispatch(opts: UpstreamRequestOptions, handler: UpstreamHandler): boolean {
    const head = serializeRequestHead(opts)
    if (typeof head !== 'string') {
      handler.onError(head)
      return true
    }
    const req = new UpstreamRequest(this, handler, head, opts.method === 'HEAD', performance.now())
    handler.onConnect(req.abort)
    if (req.done) return true
    if (this.closed) {
      req.fail(new UpstreamClientClosedError())
      return true
    }
    if (this.timer === null) this.startTimer()
    if (this.queueHead === null) {
      const conn = this.pick()
      if (conn !== null) {
        conn.enqueue(req)
        return true
      }
    }
    this.pushBack(req)
    return true
  }

  /** Connections open or connecting now. */
  get openConnections(): number {
    let n = 0
    for (const c of this.slots) if (c !== null) n++
    return n
  }

  /** Requests waiting for room on a connection. */
  get queued(): number {
    let n = 0
    for (let r = this.queueHead; r !== null; r = r.next) if (!r.done) n++
    return n
  }

  /** Fails everything queued or in flight and closes every connection. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.closed = true
    this.stopTimer()
    const err = new UpstreamClientClosedError()
    for (const conn of this.slots) conn?.destroy(err, CloseMode.Fail)
    for (let r = this.popFront(); r !== null; r = this.popFront()) r.fail(err)
    return Promise.resolve()
  }

  // ---- RequestOwner ----

  abortRequest(req: UpstreamRequest, err: Error): void {
    req.fail(err)
    // Queued: it is skipped when its turn comes. In flight: its connection decides (discard or close).
    const conn = req.conn as UpstreamConnection | null
    if (conn !== null) conn.abandon(req)
  }

  // ---- ConnectionOwner ----

  connectionReady(): void {
    this.pump()
  }

  connectionFreed(): void {
    if (this.queueHead !== null) this.pump()
  }

  connectionClosed(conn: UpstreamConnection, resend: UpstreamRequest[]): void {
    if (this.slots[conn.slot] === conn) this.slots[conn.slot] = null
    if (resend.length > 0) {
      this.counters.resent += resend.length
      if (this.closed) {
        const err = new UpstreamClientClosedError()
        for (const r of resend) r.fail(err)
        return
      }
      // A fresh connection in the freed slot takes them first, in order; the rest wait at the front of the queue.
      const fresh = this.open(conn.slot)
      let i = 0
      for (; i < resend.length && i < this.pipelining; i++) fresh.enqueue(resend[i]!)
      for (let k = resend.length - 1; k >= i; k--) this.pushFront(resend[k]!)
    }
    if (this.queueHead !== null && !this.closed) this.pump()
  }

  requestFlush(conn: UpstreamConnection): void {
    this.toFlush.push(conn)
    if (!this.flushScheduled) {
      this.flushScheduled = true
      // setImmediate runs after this turn's I/O callbacks: every request uWS handed over in this turn is in by then.
      setImmediate(this.flushAll)
    }
  }

  // ---- internals ----

  private readonly flushAll = (): void => {
    this.flushScheduled = false
    const list = this.toFlush
    for (let i = 0; i < list.length; i++) list[i]!.flush()
    list.length = 0
  }

  /** The least-loaded connection with room; a new one in a free slot when every open one is busy. */
  private pick(): UpstreamConnection | null {
    const slots = this.slots
    let best: UpstreamConnection | null = null
    let bestLoad = this.pipelining
    let free = -1
    for (let i = 0; i < slots.length; i++) {
      const c = slots[i]
      if (c == null) {
        if (free < 0) free = i
        continue
      }
      if (!c.acceptsRequests) continue
      const load = c.inflight.length
      if (load < bestLoad) {
        best = c
        bestLoad = load
        if (load === 0) return c
      }
    }
    if (free >= 0) return this.open(free)
    return best
  }

  private open(slot: number): UpstreamConnection {
    const conn = new UpstreamConnection(this, slot)
    this.slots[slot] = conn
    if (this.timer === null) this.startTimer()
    return conn
  }

  /** Moves queued requests onto connections while there is room. */
  private pump(): void {
    while (this.queueHead !== null) {
      if (this.queueHead.done) {
        this.popFront()
        continue
      }
      const conn = this.pick()
      if (conn === null) return
      conn.enqueue(this.popFront()!)
    }
  }

  private pushBack(req: UpstreamRequest): void {
    req.next = null
    if (this.queueTail === null) this.queueHead = req
    else this.queueTail.next = req
    this.queueTail = req
  }

  private pushFront(req: UpstreamRequest): void {
    req.next = this.queueHead
    this.queueHead = req
    if (this.queueTail === null) this.queueTail = req
  }

  private popFront(): UpstreamRequest | null {
    const req = this.queueHead
    if (req === null) return null
    this.queueHead = req.next
    if (this.queueHead === null) this.queueTail = null
    req.next = null
    return req
  }

  private startTimer(): void {
    this.timer = setInterval(this.onTick, this.tickMs)
    this.timer.unref()
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  private readonly onTick = (): void => {
    const now = performance.now()
    const slots = this.slots
    let open = 0
    for (let i = 0; i < slots.length; i++) {
      const c = slots[i]
      if (c === null || c === undefined) continue
      c.check(now)
      if (!c.closed) open++
    }
    // Waiting for a connection counts against the headers deadline too: a stuck upstream must not pile requests up.
    const timeoutMs = this.settings.headersTimeoutMs
    while (this.queueHead !== null && (this.queueHead.done || now - this.queueHead.startedAt >= timeoutMs)) {
      this.popFront()!.fail(new UpstreamHeadersTimeoutError(timeoutMs))
    }
    if (open === 0 && this.queueHead === null && this.openConnections === 0) this.stopTimer()
  }
}
