// Errors of the upstream side (node/proxy/). Code matches on `code`; upstream-errors.ts maps each code to the 502 or
// 504 the client sees. The timeout codes are listed there as 504s.

/** The upstream closed or reset the connection before the response ended (→ 502, or a cut client connection). */
export class UpstreamClosedError extends Error {
  override readonly name = 'UpstreamClosedError'
  readonly code = 'MELIPROXY_ERR_UPSTREAM_CLOSED'
  constructor() {
    super('the upstream closed the connection before the response ended')
  }
}

/** The upstream's bytes are not an HTTP/1.1 response (→ 502, and the connection is closed). */
export class UpstreamMalformedResponseError extends Error {
  override readonly name = 'UpstreamMalformedResponseError'
  readonly code = 'MELIPROXY_ERR_UPSTREAM_MALFORMED_RESPONSE'
  constructor(detail: string) {
    super(`the upstream sent a malformed response: ${detail}`)
  }
}

/** The response head (status line + headers) or a trailer section is over the limit (→ 502). */
export class UpstreamHeadersTooLargeError extends Error {
  override readonly name = 'UpstreamHeadersTooLargeError'
  readonly code = 'MELIPROXY_ERR_UPSTREAM_HEADERS_TOO_LARGE'
  readonly limit: number
  constructor(limit: number) {
    super(`the upstream's response headers are larger than the ${limit}-byte limit`)
    this.limit = limit
  }
}

/** No response headers within upstream.timeoutMs of the dispatch (→ 504). */
export class UpstreamHeadersTimeoutError extends Error {
  override readonly name = 'UpstreamHeadersTimeoutError'
  readonly code = 'MELIPROXY_ERR_UPSTREAM_HEADERS_TIMEOUT'
  constructor(timeoutMs: number) {
    super(`the upstream sent no response headers within ${timeoutMs} ms`)
  }
}

/** The response body went silent for upstream.bodyTimeoutMs (the status is already sent: the client is cut). */
export class UpstreamBodyTimeoutError extends Error {
  override readonly name = 'UpstreamBodyTimeoutError'
  readonly code = 'MELIPROXY_ERR_UPSTREAM_BODY_TIMEOUT'
  constructor(timeoutMs: number) {
    super(`the upstream's response body was idle for ${timeoutMs} ms`)
  }
}

/** TCP (+ TLS) connection not established within upstream.connectTimeoutMs (→ 504). */
export class UpstreamConnectTimeoutError extends Error {
  override readonly name = 'UpstreamConnectTimeoutError'
  readonly code = 'MELIPROXY_ERR_UPSTREAM_CONNECT_TIMEOUT'
  constructor(timeoutMs: number) {
    super(`no connection to the upstream within ${timeoutMs} ms`)
  }
}

/** A request the fast client cannot send as given (a method with a body, bytes that would break the framing). */
export class UpstreamRequestInvalidError extends Error {
  override readonly name = 'UpstreamRequestInvalidError'
  readonly code = 'MELIPROXY_ERR_UPSTREAM_REQUEST_INVALID'
  constructor(detail: string) {
    super(`the request cannot be sent upstream: ${detail}`)
  }
}

/** The client was closed (node shutting down) while the request was queued or in flight. */
export class UpstreamClientClosedError extends Error {
  override readonly name = 'UpstreamClientClosedError'
  readonly code = 'MELIPROXY_ERR_UPSTREAM_CLIENT_CLOSED'
  constructor() {
    super('the upstream client was closed')
  }
}

/** What abort() reports when the handler gives no reason. */
export class UpstreamRequestAbortedError extends Error {
  override readonly name = 'UpstreamRequestAbortedError'
  readonly code = 'MELIPROXY_ERR_UPSTREAM_REQUEST_ABORTED'
  constructor() {
    super('the request was aborted')
  }
}
