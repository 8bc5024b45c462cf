// The rules area: rule schema (cluster.yml and admin API), compiled matching, path normalisation, the limiter
// decision and RateLimit headers. The node validates rules with `rulesSchema`, compiles them with `compileRules`,
// hands the result to `Limiter.setRules`, and per request normalises the path and calls `Limiter.decide`.
export { compileRules, CompiledRule, CompiledRules, type RequestFacts } from './compile.js'
export { KEY_SEPARATOR, HASHED_VALUE_MARK, MAX_KEY_VALUE_BYTES, keyValue } from './counter-key.js'
export { PathError, RuleInvalidError } from './errors.js'
export { Decision, Limiter, RuleOutcome, type RuleOutcomeStatus } from './limiter.js'
export { MAX_PATH_LENGTH, normalizePath, normalizePathOrNull } from './normalize-path.js'
export {
  RATE_LIMIT_HEADER,
  RATE_LIMIT_POLICY_HEADER,
  RETRY_AFTER_HEADER,
  rateLimitPolicyValue,
  rateLimitValue,
  retryAfterSeconds,
} from './rate-limit-headers.js'
export {
  DEFAULT_RULE_MODE,
  RULE_LIMITS,
  ruleSchema,
  rulesSchema,
  type ByDimension,
  type RuleConfig,
  type RuleConfigInput,
  type RuleMode,
} from './schema.js'
export type { CheckResult, WindowCounters } from './window-counters.js'
export { formatWindow, MAX_WINDOW_MS, MIN_WINDOW_MS, parseWindow } from './window-duration.js'
