export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly code = 'MELIPROXY_ERR_CONFIG'
  /** One line per problem, each naming the field path, the bad value and what is allowed. */
  readonly problems: string[]
  constructor(file: string, problems: string[]) {
    super(`${file}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.problems = problems
  }
}
