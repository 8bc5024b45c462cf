// One request on the fast upstream client: what the caller handed in (a handler with undici's legacy dispatch
// methods), its serialized request head, and where it is (queued, in flight on a connection, done).
import { UpstreamRequestAbortedError, UpstreamRequestInvalidError } from './errors.js'

/**
 * The handler of one request: the same methods, in the same order, as undici's legacy dispatch handler, so one
 * ProxyExchange works with either client.
 *  - onConnect(abort) once, first (from dispatch(), synchronously). abort(err) ends the request: onError(err) follows
 *    synchronously and nothing else reaches the handler after it.
 *  - onHeaders for each 1xx interim response (its return value is ignored) and once for the final response; false
 *    pauses reading like onData's false. resume() undoes a pause; calling it when nothing is paused does nothing.
 *  - onData per body chunk (Buffers stay valid after the call); false pauses that connection until resume().
 *  - then exactly one of onComplete(trailers) or onError(err). onError may come at any point after onConnect,
 *    including after onHeaders (the response was cut: the status is already out).
 */
export interface UpstreamHandler {
  onConnect(abort: (err?: Error) => void): void
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean
  onData(chunk: Buffer): boolean
  onComplete(trailers: Buffer[]): void
  onError(err: Error): void
}

/** A GET or HEAD without a body. headers: flat name/value pairs, Host included (sent as given, in order). */
export interface UpstreamRequestOptions {
  path: string
  method: string
  headers: readonly string[]
}

/** What a request reports back to the client that owns it. */
export interface RequestOwner {
  abortRequest(req: UpstreamRequest, err: Error): void
}

/** The connection a request is in flight on, as the request sees it. */
export interface RequestCarrier {
  /** Resumes reading if `req` is the response being read and it paused the connection; otherwise nothing. */
  resumeFor(req: UpstreamRequest): void
}

// undici's own checks (lib/core/request.js, util.js): what would break the request line or a header line.
const INVALID_PATH = /[^\u0021-\u00ff]/
const INVALID_NAME = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/
const INVALID_VALUE = /[^\t\u0020-\u007e\u0080-\u00ff]/

/** The request head as written (Latin-1: one byte per character, like undici), or why it cannot be sent. */
export function serializeRequestHead(opts: UpstreamRequestOptions): string | UpstreamRequestInvalidError {
  const { method, path, headers } = opts
  if (method !== 'GET' && method !== 'HEAD') return new UpstreamRequestInvalidError(`the fast client sends only GET and HEAD, not ${method}`)
  if (path.length === 0 || INVALID_PATH.test(path)) return new UpstreamRequestInvalidError('invalid request path')
  if ((headers.length & 1) !== 0) return new UpstreamRequestInvalidError('headers must be name/value pairs')
  let head = `${method} ${path} HTTP/1.1\r\n`
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!
    const value = headers[i + 1]!
    if (name.length === 0 || INVALID_NAME.test(name)) return new UpstreamRequestInvalidError(`invalid header name ${JSON.stringify(name)}`)
    if (INVALID_VALUE.test(value)) return new UpstreamRequestInvalidError(`invalid value of header ${name}`)
    head += `${name}: ${value}\r\n`
  }
  return `${head}\r\n`
}

export class UpstreamRequest {
  readonly owner: RequestOwner
  readonly handler: UpstreamHandler
  readonly head: string
  readonly isHead: boolean
  /** performance.now() at dispatch: the headers deadline counts from here, across a retry. */
  readonly startedAt: number
  /** Already sent again once after its connection died without answering it. */
  retried = false
  /** The handler got its last call (onComplete or onError); a response still due on a connection is discarded. */
  done = false
  /** The connection it is in flight on, or null while queued or done. */
  conn: RequestCarrier | null = null
  /** Next in the client's queue of requests waiting for a connection. */
  next: UpstreamRequest | null = null

  constructor(owner: RequestOwner, handler: UpstreamHandler, head: string, isHead: boolean, startedAt: number) {
    this.owner = owner
    this.handler = handler
    this.head = head
    this.isHead = isHead
    this.startedAt = startedAt
  }

  /** Handed to onConnect. */
  readonly abort = (err?: Error): void => {
    if (!this.done) this.owner.abortRequest(this, err ?? new UpstreamRequestAbortedError())
  }

  /** Handed to onHeaders: resumes reading after the handler paused it. */
  readonly resume = (): void => {
    this.conn?.resumeFor(this)
  }

  /** Ends the request with an error (once). */
  fail(err: Error): void {
    if (this.done) return
    this.done = true
    this.handler.onError(err)
  }
}
