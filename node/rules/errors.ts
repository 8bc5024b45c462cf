// Errors of the rules area. Callers match on `code`, never on message text.

/** The request path cannot be normalised (bad percent-encoding, a NUL, too long...): the proxy answers 400. */
export class PathError extends Error {
  override readonly name = 'PathError'
  readonly code = 'MELIPROXY_ERR_BAD_PATH'
  /** What is wrong, for logs and the 400 body; never matched on. */
  readonly reason: string
  constructor(reason: string) {
    super(`invalid request path: ${reason}`)
    this.reason = reason
  }
}

/**
 * A rule set that did not go through `rulesSchema` reached `compileRules` and is not valid. Validated rule sets never
 * raise it; the message names the field the way schema errors do ("rules[2].match.ip: ...").
 */
export class RuleInvalidError extends Error {
  override readonly name = 'RuleInvalidError'
  readonly code = 'MELIPROXY_ERR_RULE_INVALID'
  readonly field: string
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`)
    this.field = field
  }
}
