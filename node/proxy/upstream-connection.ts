// One keep-alive HTTP/1.1 connection to the upstream (TCP, or TLS with session resumption) carrying a pipeline:
// requests are written in order (each event-loop turn's requests in one write, see FastUpstream) and answered in
// order, so the response being parsed always belongs to inflight[0].
//
//   inflight: [ r0 (being answered) | r1 | r2 | r3 ]   ← enqueue() appends, a response's end shifts r0 out
//
// A request whose handler is already done (aborted by its client, or past its headers deadline) stays in the
// pipeline until its response has been read and thrown away (up to DISCARD_LIMIT_BYTES; past that, or if its
// response had begun, the connection is closed instead): a pipelined response cannot be skipped, only read.
//
// When the connection ends, what happens to the requests still in it depends on why (destroy()'s `mode`):
//   - the one whose response had begun fails (nothing can be re-sent once bytes reached its handler);
//   - after the upstream announced the end (Connection: close, a body read until close) or after a close of ours
//     that was no fault of the upstream (an abort, a discard over the limit, an idle connection), the others are
//     sent again on a fresh connection without using up their retry;
//   - after an unexpected end (reset, EOF, a timeout, a malformed response) each one gets one retry; a second
//     failure fails it;
//   - a connection that never connected fails its requests (retrying a refused or timed-out connect at once would
//     only double the wait for the same answer).
import { connect as netConnect, isIP, type Socket } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls'
import {
  UpstreamBodyTimeoutError,
  UpstreamClosedError,
  UpstreamConnectTimeoutError,
  UpstreamHeadersTimeoutError,
  UpstreamMalformedResponseError,
} from './errors.js'
import { Http1ResponseParser, type ResponseParserSink } from './http1-response-parser.js'
import type { RequestCarrier, UpstreamRequest } from './upstream-request.js'

/** The bytes of discarded responses read before closing the connection is cheaper than reading on. */
export const DISCARD_LIMIT_BYTES = 64 * 1024

export interface ConnectionSettings {
  host: string
  port: number
  /** TLS options (ca, ...) for an https upstream; null for plain TCP. */
  tls: ConnectionOptions | null
  connectTimeoutMs: number
  headersTimeoutMs: number
  bodyTimeoutMs: number
  keepAliveTimeoutMs: number
  maxHeaderBytes: number
}

/** The client a connection belongs to. Called synchronously from socket events and the client's own calls. */
export interface ConnectionOwner {
  readonly settings: ConnectionSettings
  /** The last TLS session seen (offered to the next handshake); set by connections. */
  tlsSession: Buffer | undefined
  /** Counts of what happened, for tests and diagnostics. */
  readonly counters: { connections: number; tlsResumed: number }
  /** Connected: it may take requests now. */
  connectionReady(conn: UpstreamConnection): void
  /** A response ended: the pipeline has room for one more. */
  connectionFreed(conn: UpstreamConnection): void
  /** Gone for good. `resend`: requests to send again on a fresh connection, in their order. */
  connectionClosed(conn: UpstreamConnection, resend: UpstreamRequest[]): void
  /** Requests were appended: write them at the end of this event-loop turn. */
  requestFlush(conn: UpstreamConnection): void
}

export const enum CloseMode {
  /** Unexpected end: requests without a response byte are retried once. */
  Retry,
  /** Announced by the upstream or no fault of its own: requests without a response byte are re-sent, retry kept. */
  Resend,
  /** Everything still pending fails (the client is closing). */
  Fail,
}

const enum ConnState {
  Connecting,
  Open,
  /** No more requests: the upstream announced the end after the response being read. */
  Draining,
  Closed,
}

export class UpstreamConnection implements ResponseParserSink, RequestCarrier {
  readonly owner: ConnectionOwner
  /** Index of this connection in the owner's table. */
  readonly slot: number
  readonly socket: Socket
  readonly inflight: UpstreamRequest[] = []
  private readonly parser: Http1ResponseParser
  private state = ConnState.Connecting
  /** Request heads appended since the last write. */
  private out = ''
  /** How many requests at the end of inflight are in `out`, not written yet. */
  private unsent = 0
  private flushQueued = false
  private everConnected = false
  /** Bytes of inflight[0]'s response have arrived (it can no longer be re-sent). */
  private responseStarted = false
  private headersReceived = false
  /**
   * A HEAD is in the pipeline: nothing more is queued behind it and the connection closes after its answer (as
   * undici does): a server that wrongly sends a body with it would otherwise hand those bytes to the next request.
   */
  private headQueued = false
  private lastBodyActivity = 0
  private idleSince = 0
  private discardedBytes = 0
  private eofWhilePaused = false
  private connectTimer: NodeJS.Timeout | null

  constructor(owner: ConnectionOwner, slot: number) {
    this.owner = owner
    this.slot = slot
    const s = owner.settings
    this.parser = new Http1ResponseParser(this, s.maxHeaderBytes)
    if (s.tls !== null) {
      const socket = tlsConnect({
        ALPNProtocols: ['http/1.1'],
        ...s.tls,
        host: s.host,
        port: s.port,
        // SNI takes a name, never an address literal.
        ...(isIP(s.host) === 0 ? { servername: s.host } : {}),
        ...(owner.tlsSession !== undefined ? { session: owner.tlsSession } : {}),
      })
      socket.on('secureConnect', this.onConnect)
      socket.on('session', this.onSession)
      this.socket = socket
    } else {
      this.socket = netConnect({ host: s.host, port: s.port })
      this.socket.on('connect', this.onConnect)
    }
    owner.counters.connections++
    this.socket.setNoDelay(true)
    this.socket.on('data', this.onData)
    this.socket.on('end', this.onSocketEnd)
    this.socket.on('error', this.onError)
    this.socket.on('close', this.onClose)
    this.connectTimer = setTimeout(this.onConnectTimeout, s.connectTimeoutMs)
    this.connectTimer.unref()
  }

  /**
   * May take another request now: open or connecting, not draining, no HEAD queued (it ends the pipeline), and not
   * in the middle of a response body. A body that spans reads is a stream or a slow reader: a request queued behind
   * it would wait for all of it (head-of-line blocking), and some servers (uWS among them) close the connection when
   * a pipelined request arrives during a streamed response. A response read whole in one go never blocks this.
   */
  get acceptsRequests(): boolean {
    return (this.state === ConnState.Open || this.state === ConnState.Connecting) && !this.headQueued && !this.headersReceived
  }

  get closed(): boolean {
    return this.state === ConnState.Closed
  }

  /** Appends a request to the pipeline; its head is written at the end of this turn (or once connected). */
  enqueue(req: UpstreamRequest): void {
    req.conn = this
    this.inflight.push(req)
    if (req.isHead) this.headQueued = true
    this.out += req.head
    this.unsent++
    if (this.state === ConnState.Open && !this.flushQueued) {
      this.flushQueued = true
      this.owner.requestFlush(this)
    }
  }

  /** Writes every head appended since the last write, in one write. */
  flush(): void {
    this.flushQueued = false
    // Draining: the upstream will not read these; they are re-sent elsewhere when the connection ends.
    if (this.state !== ConnState.Open || this.out === '') return
    this.socket.write(this.out, 'latin1')
    this.out = ''
    this.unsent = 0
  }

  resumeFor(req: UpstreamRequest): void {
    if (this.inflight[0] !== req || !this.parser.paused || this.state === ConnState.Closed) return
    let err: unknown
    try {
      err = this.parser.resume()
    } catch (thrown) {
      err = thrown
    }
    if (err !== null) {
      this.destroy(toError(err), CloseMode.Retry)
      return
    }
    if (this.parser.paused || this.closed) return
    this.socket.resume()
    if (this.eofWhilePaused) this.onEof()
  }

  /**
   * The client gave up on `req` (already marked done). Its response, if still due, is read and discarded, unless it
   * had begun: then the connection is closed and the requests behind are re-sent.
   */
  abandon(req: UpstreamRequest): void {
    if (this.inflight[0] === req && this.responseStarted) this.destroy(new UpstreamClosedError(), CloseMode.Resend)
  }

  /** Timeouts and idle closing; `now` is performance.now(). */
  check(now: number): void {
    const s = this.owner.settings
    if (this.state === ConnState.Closed) return
    if (this.state === ConnState.Connecting) {
      // The connect timer ends the connection; requests waiting on it still keep their own headers deadline.
      this.failExpired(0, now)
      return
    }
    const n = this.inflight.length
    if (n === 0) {
      if (now - this.idleSince >= s.keepAliveTimeoutMs) this.destroy(new UpstreamClosedError(), CloseMode.Resend)
      return
    }
    const head = this.inflight[0]!
    if (!this.headersReceived) {
      if (now - head.startedAt >= s.headersTimeoutMs) {
        const err = new UpstreamHeadersTimeoutError(s.headersTimeoutMs)
        head.fail(err)
        this.destroy(err, CloseMode.Retry)
        return
      }
    } else if (!this.parser.paused && now - this.lastBodyActivity >= s.bodyTimeoutMs) {
      const err = new UpstreamBodyTimeoutError(s.bodyTimeoutMs)
      head.fail(err)
      this.destroy(err, CloseMode.Retry)
      return
    }
    // Behind the head: each request has its own deadline; past it, it fails now and its response is discarded later.
    this.failExpired(1, now)
  }

  private failExpired(from: number, now: number): void {
    const timeoutMs = this.owner.settings.headersTimeoutMs
    for (let i = from; i < this.inflight.length; i++) {
      const req = this.inflight[i]!
      if (!req.done && now - req.startedAt >= timeoutMs) req.fail(new UpstreamHeadersTimeoutError(timeoutMs))
    }
  }

  /** Ends the connection (once); what becomes of the requests in it depends on `mode` (see the top of the file). */
  destroy(err: Error, mode: CloseMode): void {
    if (this.state === ConnState.Closed) return
    this.state = ConnState.Closed
    this.parser.halt()
    if (this.connectTimer !== null) clearTimeout(this.connectTimer)
    this.connectTimer = null
    this.socket.destroy()
    const reqs = this.inflight.splice(0)
    const resend: UpstreamRequest[] = []
    // (`unsent` still counts the tail of reqs that was never written.)
    for (let i = 0; i < reqs.length; i++) {
      const req = reqs[i]!
      req.conn = null
      if (req.done) continue
      if (mode === CloseMode.Fail || !this.everConnected || (i === 0 && this.responseStarted)) req.fail(err)
      // Never written (or the end was announced): sending it elsewhere does not count as its retry.
      else if (mode === CloseMode.Resend || i >= reqs.length - this.unsent) resend.push(req)
      else if (req.retried) req.fail(err)
      else {
        req.retried = true
        resend.push(req)
      }
    }
    this.owner.connectionClosed(this, resend)
  }

  // ---- parser sink ----

  onMessageBegin(): boolean {
    const head = this.inflight[0]
    // No request, or only ones not written yet: bytes nobody asked for (they must not become the next one's answer).
    if (head === undefined || this.inflight.length <= this.unsent) {
      this.destroy(new UpstreamMalformedResponseError('a response to no request'), CloseMode.Retry)
      return false
    }
    this.responseStarted = true
    return head.isHead
  }

  onInformational(status: number, reason: string, headers: Buffer[]): void {
    const head = this.inflight[0]!
    if (!head.done) head.handler.onHeaders(status, headers, head.resume, reason)
  }

  onHead(status: number, reason: string, headers: Buffer[], keepAlive: boolean): boolean {
    const head = this.inflight[0]!
    this.headersReceived = true
    this.lastBodyActivity = performance.now()
    if (!keepAlive && this.state === ConnState.Open) this.state = ConnState.Draining
    if (head.done) {
      this.discardedBytes = 0
      return true
    }
    return head.handler.onHeaders(status, headers, head.resume, reason)
  }

  onBody(chunk: Buffer): boolean {
    const head = this.inflight[0]!
    this.lastBodyActivity = performance.now()
    if (head.done) {
      this.discardedBytes += chunk.length
      if (this.discardedBytes > DISCARD_LIMIT_BYTES) this.destroy(new UpstreamClosedError(), CloseMode.Resend)
      return true
    }
    return head.handler.onData(chunk)
  }

  onEnd(trailers: Buffer[]): void {
    const head = this.inflight.shift()!
    head.conn = null
    this.responseStarted = false
    this.headersReceived = false
    if (!head.done) {
      head.done = true
      head.handler.onComplete(trailers)
    }
    if (this.state === ConnState.Draining || head.isHead) {
      this.destroy(new UpstreamClosedError(), CloseMode.Resend)
      return
    }
    if (this.state === ConnState.Closed) return
    if (this.inflight.length === 0) this.idleSince = performance.now()
    this.owner.connectionFreed(this)
  }

  // ---- socket events (arrow properties: one closure per connection, not per event) ----

  private readonly onConnect = (): void => {
    if (this.state !== ConnState.Connecting) return
    if (this.connectTimer !== null) clearTimeout(this.connectTimer)
    this.connectTimer = null
    this.state = ConnState.Open
    this.everConnected = true
    this.idleSince = performance.now()
    if ((this.socket as TLSSocket).isSessionReused?.() === true) this.owner.counters.tlsResumed++
    // Requests queued while connecting go out now, together.
    if (this.out !== '') {
      this.socket.write(this.out, 'latin1')
      this.out = ''
      this.unsent = 0
    }
    this.owner.connectionReady(this)
  }

  private readonly onSession = (session: Buffer): void => {
    this.owner.tlsSession = session
  }

  private readonly onData = (chunk: Buffer): void => {
    let err: unknown
    try {
      err = this.parser.execute(chunk)
    } catch (thrown) {
      // A handler threw: the connection's state can no longer be trusted.
      err = thrown
    }
    if (err !== null) this.destroy(toError(err), CloseMode.Retry)
    else if (this.parser.paused && this.state !== ConnState.Closed) this.socket.pause()
  }

  private readonly onSocketEnd = (): void => {
    if (this.parser.paused) this.eofWhilePaused = true
    else this.onEof()
  }

  private onEof(): void {
    this.eofWhilePaused = false
    if (this.state === ConnState.Closed) return
    let outcome: 'ended' | 'idle' | 'cut'
    try {
      outcome = this.parser.finish()
    } catch (thrown) {
      this.destroy(toError(thrown), CloseMode.Retry)
      return
    }
    // 'ended': the body read until close has ended, and onEnd already closed the connection.
    if (outcome === 'ended' || this.closed) return
    // Between responses after a "Connection: close" the end was announced; otherwise the upstream dropped us.
    this.destroy(new UpstreamClosedError(), outcome === 'idle' && this.state === ConnState.Draining ? CloseMode.Resend : CloseMode.Retry)
  }

  private readonly onError = (err: Error): void => {
    this.destroy(err, CloseMode.Retry)
  }

  private readonly onClose = (): void => {
    this.destroy(new UpstreamClosedError(), CloseMode.Retry)
  }

  private readonly onConnectTimeout = (): void => {
    this.connectTimer = null
    this.destroy(new UpstreamConnectTimeoutError(this.owner.settings.connectTimeoutMs), CloseMode.Retry)
  }
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value))
}
