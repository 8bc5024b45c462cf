// One proxied request: the bridge between a uWS response (the client) and an undici dispatch (the upstream).
//
// undici's raw handler API is used (onConnect/onHeaders/onData/onComplete/onError): it hands the upstream's header
// names and values as Buffers, exactly as received, so they reach the client byte for byte (the newer handler API
// decodes them as Latin-1 strings, and uWS would re-encode those as UTF-8).
//
//   client ──uWS──▶ handler (proxy-server.ts) ──dispatch──▶ undici Pool ──▶ upstream
//   client ◀──uWS── ProxyExchange.onHeaders/onData/onComplete ◀───────────────┘
//
// Backpressure, both ways:
// - response: tryEnd()/write() report when uWS could not send everything; the exchange then returns false from
//   onData (undici pauses the upstream socket) and resumes it from uWS's onWritable.
// - request body: a Readable fed from uWS onData; when it is full the client socket is paused (res.pause()).
// The status line and headers are held until the first body bytes (or the end) so that a small response goes out
// in one corked write: one syscall instead of three (NOTES-performance.md: worth ~20%).
import { Readable } from 'node:stream'
import type { HttpResponse } from '@trufflesuite/uws-js-unofficial'
import type { Dispatcher } from 'undici'
import { connectionListed, dropFromResponse, mayDropFromResponse } from './hop-by-hop.js'
import { gatewayErrorFor } from './upstream-errors.js'

/** What an exchange reports when it ends (the node turns it into statistics). */
export interface ExchangeListener {
  exchangeEnded(exchange: ProxyExchange): void
}

export const enum ExchangeEnd {
  Pending = 0,
  Completed = 1,     // the upstream's response was relayed
  UpstreamFailed = 2, // 502/504 sent (or the client connection closed mid-body)
  ClientAborted = 3, // the client went away first; the upstream request was aborted
}

const NO_HEADERS: Buffer[] = []

export class ProxyExchange implements Dispatcher.DispatchHandler {
  readonly res: HttpResponse
  readonly listener: ExchangeListener
  readonly isHead: boolean
  readonly requestId: string
  /** Extra response headers (RateLimit) as name/value pairs, written after the upstream's. */
  readonly extraHeaders: readonly string[]
  readonly startedAt: number
  upstreamStartedAt = 0
  upstreamEndedAt = 0
  end: ExchangeEnd = ExchangeEnd.Pending
  status = 0
  bytesIn = 0
  bytesOut = 0
  body: Readable | null = null

  private clientGone = false
  private headersSent = false
  private responseEnded = false
  private abortUpstream: ((err?: Error) => void) | null = null
  private resumeUpstream: (() => void) | null = null
  private statusLine = ''
  private headers: Buffer[] = NO_HEADERS
  private contentLength = -1
  private pending: Buffer | null = null
  private pendingBase = 0
  private chunk: Buffer | null = null
  private writeOk = true

  constructor(res: HttpResponse, listener: ExchangeListener, isHead: boolean, requestId: string, extraHeaders: readonly string[], startedAt: number) {
    this.res = res
    this.listener = listener
    this.isHead = isHead
    this.requestId = requestId
    this.extraHeaders = extraHeaders
    this.startedAt = startedAt
    res.onAborted(this.onClientAborted)
  }

  /** Streams the request body from uWS into undici; pauses the client when undici is not reading. */
  attachBody(maxBodyBytes: number): Readable {
    const res = this.res
    const body = new Readable({
      highWaterMark: 256 * 1024,
      read: () => {
        if (!this.clientGone) res.resume()
      },
    })
    this.body = body
    res.onData((chunk, isLast) => {
      if (this.clientGone) return
      this.bytesIn += chunk.byteLength
      if (this.bytesIn > maxBodyBytes) {
        body.destroy(new BodyTooLargeError(maxBodyBytes))
        return
      }
      // uWS reuses the chunk's memory after this callback returns: copy it.
      if (chunk.byteLength > 0 && !body.push(Buffer.from(new Uint8Array(chunk)))) res.pause()
      if (isLast) body.push(null)
    })
    return body
  }

  // ---- undici handler ----

  onConnect(abort: (err?: Error) => void): void {
    this.upstreamStartedAt = performance.now()
    if (this.clientGone) abort(new ClientAbortedError())
    else this.abortUpstream = abort
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (this.clientGone) return false
    if (statusCode < 200) return true // 1xx interim responses are not relayed (uWS cannot send them)
    this.status = statusCode
    this.statusLine = `${statusCode} ${statusText}`
    this.resumeUpstream = resume
    this.headers = this.filterResponseHeaders(rawHeaders)
    return true
  }

  onData(chunk: Buffer): boolean {
    if (this.clientGone) return false
    this.bytesOut += chunk.length
    this.chunk = chunk
    this.res.cork(this.corkedData)
    this.chunk = null
    return this.writeOk
  }

  onComplete(): void {
    this.upstreamEndedAt = performance.now()
    if (this.clientGone) return
    if (!this.headersSent) this.res.cork(this.corkedEmptyEnd)
    else if (this.contentLength < 0 && !this.responseEnded) this.res.cork(this.corkedChunkedEnd)
    this.finish(ExchangeEnd.Completed)
  }

  onError(err: Error): void {
    this.upstreamEndedAt = performance.now()
    if (this.clientGone) {
      this.finish(ExchangeEnd.ClientAborted)
      return
    }
    if (err instanceof BodyTooLargeError || err.cause instanceof BodyTooLargeError) {
      this.status = 413
      this.res.cork(() => this.writeJsonError('413 Payload Too Large', 'body_too_large', err.message, true))
      this.finish(ExchangeEnd.Completed)
      return
    }
    if (!this.headersSent) {
      const failure = gatewayErrorFor(err)
      this.status = failure.status
      this.res.cork(() => this.writeJsonError(failure.statusLine, failure.error, failure.message, false))
    } else {
      // The status line is gone; the only honest signal left is to cut the client connection short.
      this.responseEnded = true
      this.res.close()
    }
    this.finish(ExchangeEnd.UpstreamFailed)
  }

  // ---- client side ----

  /** A response the proxy makes itself (429, 400, 502 before dispatch...). */
  writeJsonError(statusLine: string, error: string, message: string, closeConnection: boolean, extra: readonly string[] = this.extraHeaders): void {
    if (this.clientGone || this.responseEnded) return
    this.headersSent = true
    this.responseEnded = true
    const res = this.res
    res.writeStatus(statusLine)
    res.writeHeader('content-type', 'application/json')
    res.writeHeader('x-request-id', this.requestId)
    for (let i = 0; i < extra.length; i += 2) res.writeHeader(extra[i]!, extra[i + 1]!)
    res.end(JSON.stringify({ error, message, requestId: this.requestId }), closeConnection)
  }

  private readonly onClientAborted = (): void => {
    this.clientGone = true
    this.body?.destroy()
    // Not yet connected upstream (queued in the pool): onConnect aborts it. Either way undici reports the end
    // through onError, which records it.
    if (this.abortUpstream !== null) this.abortUpstream(new ClientAbortedError())
  }

  private readonly corkedData = (): void => {
    if (!this.headersSent) this.writeHead()
    const chunk = this.chunk!
    const res = this.res
    if (this.contentLength >= 0) {
      const base = res.getWriteOffset()
      const [ok, done] = res.tryEnd(chunk, this.contentLength)
      if (done) {
        this.responseEnded = true
        this.writeOk = true
      } else if (ok) {
        this.writeOk = true
      } else {
        this.pending = chunk
        this.pendingBase = base
        this.writeOk = false
        res.onWritable(this.onWritableLength)
      }
    } else {
      this.writeOk = res.write(chunk)
      if (!this.writeOk) res.onWritable(this.onWritableChunked)
    }
  }

  private readonly corkedEmptyEnd = (): void => {
    this.writeHead()
    this.responseEnded = true
    const res = this.res
    if (this.isHead) {
      if (this.contentLength >= 0) res.endWithoutBody(this.contentLength)
      else res.endWithoutBody()
    } else if (this.status === 204 || this.status === 304) {
      res.endWithoutBody()
    } else {
      res.end()
    }
  }

  private readonly corkedChunkedEnd = (): void => {
    this.responseEnded = true
    this.res.end()
  }

  private readonly onWritableLength = (offset: number): boolean => {
    if (this.clientGone || this.pending === null) return true
    const [ok, done] = this.res.tryEnd(this.pending.subarray(offset - this.pendingBase), this.contentLength)
    if (done) this.responseEnded = true
    if (ok || done) {
      this.pending = null
      this.resumeUpstream?.()
      return true
    }
    return false
  }

  private readonly onWritableChunked = (): boolean => {
    if (!this.clientGone) this.resumeUpstream?.()
    return true
  }

  private writeHead(): void {
    this.headersSent = true
    const res = this.res
    res.writeStatus(this.statusLine)
    const headers = this.headers
    for (let i = 0; i < headers.length; i += 2) res.writeHeader(headers[i]!, headers[i + 1]!)
    const extra = this.extraHeaders
    for (let i = 0; i < extra.length; i += 2) res.writeHeader(extra[i]!, extra[i + 1]!)
  }

  /** Drops hop-by-hop headers and those uWS writes itself; remembers Content-Length for tryEnd. */
  private filterResponseHeaders(raw: Buffer[]): Buffer[] {
    let listed: Set<string> | null = null
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!
      if (name.length === 10 && name.toString('latin1').toLowerCase() === 'connection') {
        listed = connectionListed(raw[i + 1]!.toString('latin1').toLowerCase())
      }
    }
    const kept: Buffer[] = []
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!
      // Only names of a droppable length need a lower-case string: 2.7 → 0.8 µs per response (13 headers).
      if (listed !== null || mayDropFromResponse(name.length)) {
        const lower = name.toString('latin1').toLowerCase()
        if (lower === 'content-length') {
          this.contentLength = parseContentLength(raw[i + 1]!)
          continue
        }
        if (dropFromResponse(lower) || (listed !== null && listed.has(lower))) continue
      }
      kept.push(name, raw[i + 1]!)
    }
    // A 204/304 or a HEAD response has no body whatever the header says.
    if (!this.isHead && (this.status === 204 || this.status === 304)) this.contentLength = -1
    return kept
  }

  private finish(how: ExchangeEnd): void {
    if (this.end !== ExchangeEnd.Pending) return
    this.end = how
    this.listener.exchangeEnded(this)
  }
}

function parseContentLength(value: Buffer): number {
  // undici has already rejected responses with an invalid or conflicting Content-Length.
  let n = 0
  for (let i = 0; i < value.length; i++) {
    const c = value[i]! - 48
    if (c < 0 || c > 9) return -1
    n = n * 10 + c
  }
  return n
}

export class ClientAbortedError extends Error {
  override readonly name = 'ClientAbortedError'
  readonly code = 'MELIPROXY_ERR_CLIENT_ABORTED'
  constructor() {
    super('the client closed the connection before the response ended')
  }
}

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError'
  readonly code = 'MELIPROXY_ERR_BODY_TOO_LARGE'
  constructor(limit: number) {
    super(`the request body is larger than the ${limit}-byte limit`)
  }
}
