// Errors of the admin UI's API client. Code matches on `code`, never on the message.

/** The admin API answered 401 and no (valid) token was given when asked for one. */
export class UnauthorizedError extends Error {
  override readonly name = 'UnauthorizedError'
  readonly code = 'MELIPROXY_ERR_UI_UNAUTHORIZED'
  constructor(message = 'The admin token is missing or was rejected') {
    super(message)
  }
}

/** The admin API could not be reached at all (connection refused, reset, DNS, CORS, timeout). */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError'
  readonly code = 'MELIPROXY_ERR_UI_UNREACHABLE'
  constructor(
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(`No answer from the admin API at ${url}`, options)
  }
}

/**
 * The admin API answered with an error body (`{"error","message","problems"?}`) or a status that is not a success.
 * `apiCode` is the API's stable code (`invalid_rule`, `conflict`, `not_found`, ...), `problems` its field lines.
 */
export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError'
  readonly code = 'MELIPROXY_ERR_UI_API'
  constructor(
    readonly status: number,
    readonly apiCode: string,
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message)
  }
}

/** The admin API answered 2xx with something that is not the JSON the contract promises. */
export class BadResponseError extends Error {
  override readonly name = 'BadResponseError'
  readonly code = 'MELIPROXY_ERR_UI_BAD_RESPONSE'
  constructor(
    readonly url: string,
    detail: string,
  ) {
    super(`The admin API at ${url} sent an unexpected answer: ${detail}`)
  }
}

export type AdminClientError = UnauthorizedError | UnreachableError | ApiRequestError | BadResponseError
