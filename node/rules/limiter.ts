// The decision for one request: which rules apply, whether any enforcing rule is over its limit, what to count
// and which RateLimit headers to send.
//
// Every matching rule is checked first and nothing is counted until all have answered; only an admitted request is
// then added to each of its keys. So a request rejected by rule A does not use up rule B, and a client hammering
// past its limit does not keep its own window full. Shadow rules are checked and counted like the others but never
// reject; their would-be rejections are reported in the outcomes.
import { compileRules, type CompiledRule, type CompiledRules, type RequestFacts } from './compile.js'
import {
  RATE_LIMIT_HEADER,
  RATE_LIMIT_POLICY_HEADER,
  RETRY_AFTER_HEADER,
  rateLimitValue,
  rejectionBody,
  retryAfterSeconds,
} from './rate-limit-headers.js'
import type { WindowCounters } from './window-counters.js'

/**
 * What one matching rule said about the request:
 * - admitted: within its limit, and the request was admitted (and counted under `key`);
 * - limited: an enforcing rule over its limit — the request was rejected;
 * - shadow-limited: a shadow rule over its limit — it would have rejected (counted if the request was admitted);
 * - not-counted: within its limit, but another rule rejected the request, so nothing was counted.
 */
export type RuleOutcomeStatus = 'admitted' | 'limited' | 'shadow-limited' | 'not-counted'

export class RuleOutcome {
  rule: CompiledRule | undefined = undefined
  key = ''
  status: RuleOutcomeStatus = 'admitted'
  /** The counters' estimate for the key, before this request. */
  estimate = 0
  /** What the key had left before this request: max(0, floor(limit - estimate)). */
  remaining = 0
  /** When over the limit: ms until a request would be let through again; else 0. */
  resetMs = 0
}

const NO_HEADERS: readonly string[] = Object.freeze([])

/**
 * The result of `Limiter.decide`. The object (and its outcomes) is reused by the next `decide` call: read it
 * synchronously. `headers` is a new array per decision (or a shared empty one), so it can be kept until the
 * response is written, after any await.
 */
export class Decision {
  allowed = true
  /** The enforcing rule that rejected (of several, the one with the longest wait), or undefined. */
  rejectedBy: CompiledRule | undefined = undefined
  /** Its counter key, or ''. */
  rejectedKey = ''
  /** Whether some shadow rule was over its limit (it would have rejected). */
  shadowLimited = false
  /** How many entries of `outcomes` are valid: one per matching rule, in rule order. */
  outcomeCount = 0
  readonly outcomes: RuleOutcome[] = []
  /**
   * Response headers as flat name/value pairs. Admitted: RateLimit-Policy and RateLimit of the tightest matching
   * enforcing rule (least remaining), none when no enforcing rule matched. Rejected: those of the rejecting rule
   * plus Retry-After.
   */
  headers: readonly string[] = NO_HEADERS
  /** The 429 JSON body when rejected, else ''. */
  body = ''
  /** Retry-After in seconds when rejected (≥ 1), else 0. */
  retryAfterSeconds = 0
}

export class Limiter {
  private readonly counters: WindowCounters
  private compiled: CompiledRules = compileRules([])
  private readonly decision = new Decision()

  constructor(counters: WindowCounters) {
    this.counters = counters
  }

  /** Swaps in a new rule set; the next `decide` uses it. Counters are keyed by rule id, so unchanged rules keep theirs. */
  setRules(compiled: CompiledRules): void {
    const outcomes = this.decision.outcomes
    while (outcomes.length < compiled.rules.length) outcomes.push(new RuleOutcome())
    this.compiled = compiled
  }

  get rules(): CompiledRules {
    return this.compiled
  }

  /** Decides for one request at wall-clock time `now` (ms). Synchronous; the result is valid until the next call. */
  decide(facts: RequestFacts, now: number): Decision {
    const d = this.decision
    d.allowed = true
    d.rejectedBy = undefined
    d.rejectedKey = ''
    d.shadowLimited = false
    d.headers = NO_HEADERS
    d.body = ''
    d.retryAfterSeconds = 0

    const compiled = this.compiled
    const n = compiled.match(facts)
    d.outcomeCount = n
    if (n === 0) return d

    const counters = this.counters
    const outcomes = d.outcomes
    let rejected: RuleOutcome | undefined
    let tightest: RuleOutcome | undefined
    for (let i = 0; i < n; i++) {
      const rule = compiled.rules[compiled.matched[i]!]!
      const key = compiled.counterKey(rule, facts)
      const result = counters.check(key, rule.limit, rule.windowMs, now, 1)
      const o = outcomes[i]!
      o.rule = rule
      o.key = key
      o.estimate = result.estimate
      o.remaining = result.remaining
      o.resetMs = result.resetMs
      if (result.allowed) {
        o.status = 'admitted'
        if (!rule.shadow && (tightest === undefined || o.remaining < tightest.remaining)) tightest = o
      } else if (rule.shadow) {
        o.status = 'shadow-limited'
        d.shadowLimited = true
      } else {
        o.status = 'limited'
        if (rejected === undefined || o.resetMs > rejected.resetMs) rejected = o
      }
    }

    if (rejected === undefined) {
      for (let i = 0; i < n; i++) {
        const o = outcomes[i]!
        counters.add(o.key, o.rule!.windowMs, now, 1)
      }
      if (tightest !== undefined) {
        const rule = tightest.rule!
        d.headers = [
          RATE_LIMIT_POLICY_HEADER,
          rule.policyHeader,
          RATE_LIMIT_HEADER,
          // What is left after this request, and the time to the end of the current window (the quota frees up
          // gradually under a sliding window; the end of the window is when this window's share is all back).
          rateLimitValue(rule.rateLimitPrefix, tightest.remaining - 1, rule.windowMs - (now % rule.windowMs)),
        ]
      }
      return d
    }

    for (let i = 0; i < n; i++) if (outcomes[i]!.status === 'admitted') outcomes[i]!.status = 'not-counted'
    const rule = rejected.rule!
    const wait = retryAfterSeconds(rejected.resetMs)
    d.allowed = false
    d.rejectedBy = rule
    d.rejectedKey = rejected.key
    d.retryAfterSeconds = wait
    d.body = rejectionBody(rule.rejectionBodyPrefix, wait)
    d.headers = [
      RATE_LIMIT_POLICY_HEADER,
      rule.policyHeader,
      RATE_LIMIT_HEADER,
      rateLimitValue(rule.rateLimitPrefix, 0, rejected.resetMs),
      RETRY_AFTER_HEADER,
      String(wait),
    ]
    return d
  }
}
