// Errors of the admin API. Each one maps to one HTTP status and one stable API error code (API.md "Errors"); the
// router turns any of them into `{"error": apiCode, "message", "problems"?}`. Code matches on `code`.

/** Base of the errors an admin request can end with. */
export abstract class AdminApiError extends Error {
  abstract readonly code: string
  /** The `error` field of the response body (API.md). */
  abstract readonly apiCode: string
  /** The HTTP status line. */
  abstract readonly status: string
  readonly problems: string[] | undefined

  constructor(message: string, problems?: string[]) {
    super(message)
    this.problems = problems
  }
}

/** Missing or wrong bearer token, or no token configured on this node. */
export class AdminUnauthorizedError extends AdminApiError {
  override readonly name = 'AdminUnauthorizedError'
  readonly code = 'MELIPROXY_ERR_ADMIN_UNAUTHORIZED'
  readonly apiCode = 'unauthorized'
  readonly status = '401 Unauthorized'
}

/** No such route, rule or member. */
export class AdminNotFoundError extends AdminApiError {
  override readonly name = 'AdminNotFoundError'
  readonly code = 'MELIPROXY_ERR_ADMIN_NOT_FOUND'
  readonly apiCode = 'not_found'
  readonly status = '404 Not Found'
}

/** Malformed JSON, a bad query parameter, or an unsupported content type. */
export class AdminBadRequestError extends AdminApiError {
  override readonly name = 'AdminBadRequestError'
  readonly code = 'MELIPROXY_ERR_ADMIN_BAD_REQUEST'
  readonly apiCode = 'invalid_request'
  readonly status = '400 Bad Request'
}

/** A request body over the size limit. */
export class AdminBodyTooLargeError extends AdminApiError {
  override readonly name = 'AdminBodyTooLargeError'
  readonly code = 'MELIPROXY_ERR_ADMIN_BODY_TOO_LARGE'
  readonly apiCode = 'invalid_request'
  readonly status = '413 Payload Too Large'
  constructor(limit: number) {
    super(`the request body is larger than the ${limit}-byte limit`)
  }
}

/** A rule body that fails the rule schema; `problems` name the field paths. */
export class AdminInvalidRuleError extends AdminApiError {
  override readonly name = 'AdminInvalidRuleError'
  readonly code = 'MELIPROXY_ERR_ADMIN_INVALID_RULE'
  readonly apiCode = 'invalid_rule'
  readonly status = '400 Bad Request'
}

/** A rule with that id exists already. */
export class AdminConflictError extends AdminApiError {
  override readonly name = 'AdminConflictError'
  readonly code = 'MELIPROXY_ERR_ADMIN_CONFLICT'
  readonly apiCode = 'conflict'
  readonly status = '409 Conflict'
}

/** The method is not one the path serves. */
export class AdminMethodNotAllowedError extends AdminApiError {
  override readonly name = 'AdminMethodNotAllowedError'
  readonly code = 'MELIPROXY_ERR_ADMIN_METHOD_NOT_ALLOWED'
  readonly apiCode = 'method_not_allowed'
  readonly status = '405 Method Not Allowed'
  readonly allow: string
  constructor(method: string, path: string, allow: string) {
    super(`${method} is not allowed on ${path} (allowed: ${allow})`)
    this.allow = allow
  }
}

/** The node cannot answer now (stopping, stores closed). */
export class AdminUnavailableError extends AdminApiError {
  override readonly name = 'AdminUnavailableError'
  readonly code = 'MELIPROXY_ERR_ADMIN_UNAVAILABLE'
  readonly apiCode = 'unavailable'
  readonly status = '503 Service Unavailable'
}

/** A bug: logged with its stack on the node; the client learns only that it happened. */
export class AdminInternalError extends AdminApiError {
  override readonly name = 'AdminInternalError'
  readonly code = 'MELIPROXY_ERR_ADMIN_INTERNAL'
  readonly apiCode = 'internal'
  readonly status = '500 Internal Server Error'
  constructor() {
    super('the node failed to answer this request; its log has the details')
  }
}

/** A peer's answer to an admin request does not have the protocol's shape (that peer is then reported missing). */
export class PeerAnswerInvalidError extends Error {
  override readonly name = 'PeerAnswerInvalidError'
  readonly code = 'MELIPROXY_ERR_ADMIN_PEER_ANSWER'
  constructor(peer: string, method: string, reason: string) {
    super(`${peer} answered ${method} with an invalid body: ${reason}`)
  }
}

/** A peer protocol request whose body does not have the protocol's shape. */
export class PeerRequestInvalidError extends Error {
  override readonly name = 'PeerRequestInvalidError'
  readonly code = 'MELIPROXY_ERR_ADMIN_PEER_REQUEST'
  constructor(method: string, problems: string[]) {
    super(`invalid ${method} request: ${problems.join('; ')}`)
  }
}

/** The deadline of a cluster query passed before every page of a member's answer arrived. */
export class PeerDeadlineError extends Error {
  override readonly name = 'PeerDeadlineError'
  readonly code = 'MELIPROXY_ERR_ADMIN_PEER_DEADLINE'
  constructor() {
    super('the deadline passed before the member sent its whole answer')
  }
}
