export class RuleRejectedError extends Error {
  override readonly name = 'RuleRejectedError'
  readonly code = 'MELIPROXY_ERR_RULE_INVALID'
  readonly problems: string[]
  constructor(problems: string[]) {
    super(`invalid rule: ${problems.join('; ')}`)
    this.problems = problems
  }
}

export class RuleConflictError extends Error {
  override readonly name = 'RuleConflictError'
  readonly code = 'MELIPROXY_ERR_RULE_EXISTS'
  constructor(id: string) {
    super(`a rule with id ${JSON.stringify(id)} already exists (use PUT /api/v1/rules/${id} to change it)`)
  }
}

export class RuleNotFoundError extends Error {
  override readonly name = 'RuleNotFoundError'
  readonly code = 'MELIPROXY_ERR_RULE_NOT_FOUND'
  constructor(id: string) {
    super(`there is no rule with id ${JSON.stringify(id)}`)
  }
}
