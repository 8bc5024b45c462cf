// JSON over uWS for the admin API: what a route handler gets (AdminRequest) and gives back (AdminReply), reading a
// request body with a hard size limit, and writing a reply safely after any number of awaits.
//
// uWS rules this file exists to follow: everything needed from `req` is read before the first await (uWS reuses it),
// `res.onAborted` is registered before any await, a response is written inside `res.cork()`, and never after the
// client went away (writing to an aborted response crashes the process).
import type { HttpResponse } from '@trufflesuite/uws-js-unofficial'
import { AdminApiError, AdminBadRequestError } from './errors.js'

/** Request bodies over this many bytes are refused (API.md). */
export const MAX_BODY_BYTES = 64 * 1024
/** A refused body is read on and dropped up to this size, so the client can read the 413; beyond, the connection closes. */
export const MAX_DISCARD_BYTES = 1024 * 1024

/** What a route handler sees of a request. */
export interface AdminRequest {
  /** Upper-case. */
  method: string
  /** The path as sent (percent-encoded). */
  path: string
  query: URLSearchParams
  /** Route parameters (`:id`), percent-decoded. */
  params: Record<string, string>
  /** The parsed JSON body of POST and PUT; undefined otherwise. */
  body: unknown
}

/** A response, fully built before it is written. */
export interface AdminReply {
  /** Full status line, e.g. "200 OK". */
  status: string
  contentType: string | null
  body: string | Uint8Array
  /** Extra headers as flat name/value pairs. */
  headers: readonly string[]
}

const NO_HEADERS: readonly string[] = []
export const JSON_TYPE = 'application/json; charset=utf-8'

export function jsonReply(status: string, value: unknown, headers: readonly string[] = NO_HEADERS): AdminReply {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(value), headers }
}

export function emptyReply(status: string, headers: readonly string[] = NO_HEADERS): AdminReply {
  return { status, contentType: null, body: '', headers }
}

/** The API's error body (API.md "Errors") for an AdminApiError. */
export function errorReply(err: AdminApiError, headers: readonly string[] = NO_HEADERS): AdminReply {
  const body: { error: string; message: string; problems?: string[] } = { error: err.apiCode, message: err.message }
  if (err.problems !== undefined) body.problems = err.problems
  return jsonReply(err.status, body, headers)
}

/**
 * Tracks one uWS response from the moment the handler is entered: registers onAborted at once, so every later
 * write can check whether the client is still there.
 */
export class ResponseGuard {
  aborted = false
  done = false
  private readonly res: HttpResponse
  private onAbort: (() => void) | null = null

  constructor(res: HttpResponse) {
    this.res = res
    res.onAborted(() => {
      this.aborted = true
      this.onAbort?.()
    })
  }

  /**
   * Writes `reply` with `extra` headers (CORS, caching) unless the client went away or a reply was already written.
   * `close` ends the connection after it (used when a request body was left unread).
   */
  write(reply: AdminReply, extra: readonly string[], close = false): void {
    if (this.aborted || this.done) return
    this.done = true
    const res = this.res
    res.cork(() => {
      res.writeStatus(reply.status)
      if (reply.contentType !== null) res.writeHeader('content-type', reply.contentType)
      const h = reply.headers
      for (let i = 0; i + 1 < h.length; i += 2) res.writeHeader(h[i]!, h[i + 1]!)
      for (let i = 0; i + 1 < extra.length; i += 2) res.writeHeader(extra[i]!, extra[i + 1]!)
      res.end(reply.body, close)
    })
  }

  /**
   * Reads the request body, keeping at most `limit` bytes. A longer body is read on and dropped up to `discardLimit`
   * bytes, so the answer (413) can be given on a connection that stays usable; past that the promise resolves at once
   * with `complete: false` (the caller then closes the connection). Never settles when the client aborts (nothing is
   * written then anyway). Must be called before the handler's first await: uWS drops data nobody listens for.
   */
  readBody(limit: number, discardLimit: number): Promise<BodyRead> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = []
      let size = 0
      let settled = false
      this.onAbort = () => {
        chunks.length = 0
      }
      this.res.onData((chunk, isLast) => {
        if (settled) return
        size += chunk.byteLength
        if (size > discardLimit) {
          settled = true
          chunks.length = 0
          resolve({ body: null, complete: false })
          return
        }
        // The ArrayBuffer is only valid during this call: copy it.
        if (size <= limit && chunk.byteLength > 0) chunks.push(Buffer.from(new Uint8Array(chunk)))
        else chunks.length = 0
        if (!isLast) return
        settled = true
        resolve({ body: size <= limit ? (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)) : null, complete: true })
      })
    })
  }
}

/** A request body: null when it was over the limit; `complete` false when it was not read to its end. */
export interface BodyRead {
  body: Buffer | null
  complete: boolean
}

/** Parses a request body as JSON; an empty or malformed body is an AdminBadRequestError. */
export function parseJsonBody(bytes: Buffer): unknown {
  if (bytes.length === 0) throw new AdminBadRequestError('the request body is empty: a JSON document is expected')
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new AdminBadRequestError('the request body is not valid UTF-8')
  }
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new AdminBadRequestError(`the request body is not valid JSON (${(err as Error).message})`)
  }
}
