// A rule set compiled for the hot path. Each kind of condition becomes one shared structure that answers "which
// rules does this request satisfy?" as a bitset: methods a Map from method to rules, addresses the exact/CIDR
// tables of IpMatcher, paths one segment trie (PathTrie). A request's candidates are the AND of those sets (a rule
// without a condition of some kind is in that kind's "always" set); header conditions, the rarest, are then checked
// only on the candidates that have them. Nothing here builds a regex or allocates per request except the counter
// keys of `by` rules, which are new strings by nature.
//
// A CompiledRules is immutable once built, apart from its per-request scratch: when rules change, the node builds a
// new one and swaps the reference. Matching is synchronous and not re-entrant (one scratch per instance).
import { RuleInvalidError } from './errors.js'
import { HeaderValueGlob } from './header-value-glob.js'
import { formatIp, IPV4, IPV6, NOT_IP, parseIp, parseIpRange, type IpFamily } from './ip-address.js'
import { IpMatcher } from './ip-matcher.js'
import { PathTrie } from './path-matcher.js'
import { parsePathGlob } from './path-glob.js'
import { rateLimitPolicyValue, rateLimitPrefix, rejectionBodyPrefix } from './rate-limit-headers.js'
import { andInto, bitsetWords, setBit } from './rule-bitset.js'
import { KEY_SEPARATOR, keyValue } from './counter-key.js'
import type { RuleConfig } from './schema.js'
import { formatWindow, parseWindow } from './window-duration.js'

/** What the node knows about a request when it decides (read synchronously from uWS before any await). */
export interface RequestFacts {
  /** Client address, already resolved (X-Forwarded-For handling is the proxy's job). */
  ip: string
  /** The normalised path (normalizePath). */
  path: string
  /** Upper-case. */
  method: string
  /** A request header's value by lower-case name; undefined when absent. */
  header(name: string): string | undefined
}

const BY_IP = 0
const BY_PATH = 1
const BY_METHOD = 2
const BY_HEADER = 3

class ByPart {
  readonly kind: number
  /** Header slot for BY_HEADER, else -1. */
  readonly slot: number
  constructor(kind: number, slot: number) {
    this.kind = kind
    this.slot = slot
  }
}

class HeaderCondition {
  readonly slot: number
  readonly glob: HeaderValueGlob
  constructor(slot: number, glob: HeaderValueGlob) {
    this.slot = slot
    this.glob = glob
  }
}

/** One rule, with everything the limiter and the response need precomputed. */
export class CompiledRule {
  /** Position in the rule set (rule order decides the order of outcomes). */
  readonly index: number
  readonly id: string
  readonly config: RuleConfig
  readonly limit: number
  readonly windowMs: number
  /** The window as users read it: "1m", "10s", "100ms". */
  readonly windowText: string
  /** Shadow rules count and report but never reject. */
  readonly shadow: boolean
  /** `RateLimit-Policy` value for this rule. */
  readonly policyHeader: string
  /** `RateLimit` value up to the remaining count: `"<id>";r=`. */
  readonly rateLimitPrefix: string
  /** 429 body up to the retry-after value. */
  readonly rejectionBodyPrefix: string
  /** The whole key when the rule has no `by`, else the id and the separator. */
  readonly keyPrefix: string
  readonly by: readonly ByPart[]
  readonly headerConditions: readonly HeaderCondition[]

  constructor(index: number, config: RuleConfig, windowMs: number, by: ByPart[], headerConditions: HeaderCondition[]) {
    this.index = index
    this.id = config.id
    this.config = config
    this.limit = config.limit
    this.windowMs = windowMs
    this.windowText = formatWindow(windowMs)
    this.shadow = config.mode === 'shadow'
    this.policyHeader = rateLimitPolicyValue(config.id, config.limit, windowMs)
    this.rateLimitPrefix = rateLimitPrefix(config.id)
    this.rejectionBodyPrefix = rejectionBodyPrefix(config.id, config.limit, this.windowText)
    this.keyPrefix = by.length === 0 ? config.id : config.id + KEY_SEPARATOR
    this.by = by
    this.headerConditions = headerConditions
  }
}

const RULE_ID = /^[A-Za-z0-9._-]{1,64}$/
const UNPARSED = -1

export class CompiledRules {
  readonly rules: readonly CompiledRule[]
  /** Indices of the rules the last `match` found, in rule order; the first `match()` result entries are valid. */
  readonly matched: Int32Array

  private readonly all: Uint32Array
  private readonly candidates: Uint32Array
  private readonly scratch: Uint32Array

  private readonly byMethod: Map<string, Uint32Array> | undefined
  private readonly noMethodCondition: Uint32Array
  private readonly ips: IpMatcher | undefined
  private readonly noIpCondition: Uint32Array
  private readonly paths: PathTrie | undefined
  private readonly noPathCondition: Uint32Array

  private readonly headerNames: readonly string[]
  private readonly headerValues: (string | undefined)[]
  private readonly headerEpochs: Float64Array

  // Per-request caches, valid while `epoch` is unchanged (one match call and the keys built after it).
  private epoch = 0
  private ipFamily: IpFamily | typeof UNPARSED = UNPARSED
  private readonly ipWords = new Uint32Array(4)
  private ipText: string | undefined = undefined

  /** Use compileRules. */
  constructor(rules: readonly RuleConfig[]) {
    const n = rules.length
    const words = bitsetWords(n)
    this.matched = new Int32Array(Math.max(1, n))
    this.all = new Uint32Array(words)
    this.candidates = new Uint32Array(words)
    this.scratch = new Uint32Array(words)
    this.noMethodCondition = new Uint32Array(words)
    this.noIpCondition = new Uint32Array(words)
    this.noPathCondition = new Uint32Array(words)

    const byMethod = new Map<string, Uint32Array>()
    const ips = new IpMatcher(words)
    const paths = new PathTrie(words)
    let anyIp = false
    let anyPath = false
    const headerSlots = new Map<string, number>()
    const slotOf = (name: string): number => {
      const lower = name.toLowerCase()
      let slot = headerSlots.get(lower)
      if (slot === undefined) {
        slot = headerSlots.size
        headerSlots.set(lower, slot)
      }
      return slot
    }

    const ids = new Set<string>()
    const compiled: CompiledRule[] = []
    rules.forEach((rule, i) => {
      const at = `rules[${i}]`
      if (typeof rule.id !== 'string' || !RULE_ID.test(rule.id)) throw new RuleInvalidError(`${at}.id`, `${JSON.stringify(rule.id)} is not a rule id`)
      if (ids.has(rule.id)) throw new RuleInvalidError(`${at}.id`, `${JSON.stringify(rule.id)} is a duplicate id`)
      ids.add(rule.id)
      if (!Number.isSafeInteger(rule.limit) || rule.limit <= 0) throw new RuleInvalidError(`${at}.limit`, `${JSON.stringify(rule.limit)} is not a positive integer`)
      const windowMs = typeof rule.per === 'string' ? parseWindow(rule.per) : undefined
      if (windowMs === undefined) throw new RuleInvalidError(`${at}.per`, `${JSON.stringify(rule.per)} is not a window`)
      setBit(this.all, i)

      const match = rule.match
      const methods = conditionList(match?.method, `${at}.match.method`)
      if (methods.length === 0) setBit(this.noMethodCondition, i)
      for (const method of methods) {
        const upper = method.toUpperCase()
        let bits = byMethod.get(upper)
        if (bits === undefined) {
          bits = new Uint32Array(words)
          byMethod.set(upper, bits)
        }
        setBit(bits, i)
      }

      const addresses = conditionList(match?.ip, `${at}.match.ip`)
      if (addresses.length === 0) setBit(this.noIpCondition, i)
      for (const text of addresses) {
        const range = parseIpRange(text)
        if (range === undefined) throw new RuleInvalidError(`${at}.match.ip`, `${JSON.stringify(text)} is not an IP address or CIDR`)
        ips.add(range, i)
        anyIp = true
      }

      const globs = conditionList(match?.path, `${at}.match.path`)
      if (globs.length === 0) setBit(this.noPathCondition, i)
      for (const glob of globs) {
        const parsed = parsePathGlob(glob)
        if (!parsed.ok) throw new RuleInvalidError(`${at}.match.path`, `${JSON.stringify(glob)} is not a valid path glob (${parsed.problem})`)
        paths.add(parsed.segments, i)
        anyPath = true
      }

      const headerConditions: HeaderCondition[] = []
      for (const [name, value] of Object.entries(match?.header ?? {})) {
        headerConditions.push(new HeaderCondition(slotOf(name), new HeaderValueGlob(value)))
      }

      const by: ByPart[] = []
      for (const entry of rule.by ?? []) {
        if (entry === 'ip') by.push(new ByPart(BY_IP, -1))
        else if (entry === 'path') by.push(new ByPart(BY_PATH, -1))
        else if (entry === 'method') by.push(new ByPart(BY_METHOD, -1))
        else if (entry.startsWith('header:') && entry.length > 7) by.push(new ByPart(BY_HEADER, slotOf(entry.slice(7))))
        else throw new RuleInvalidError(`${at}.by`, `${JSON.stringify(entry)} is not one of ip, path, method, header:NAME`)
      }

      compiled.push(new CompiledRule(i, rule, windowMs, by, headerConditions))
    })

    this.rules = compiled
    this.byMethod = byMethod.size > 0 ? byMethod : undefined
    this.ips = anyIp ? ips : undefined
    this.paths = anyPath ? paths : undefined
    this.headerNames = [...headerSlots.keys()]
    this.headerValues = this.headerNames.map(() => undefined)
    this.headerEpochs = new Float64Array(this.headerNames.length)
  }

  /**
   * Finds the rules `facts` satisfies; returns how many, their indices in `matched[0 .. n-1]`. Overwrites the
   * previous result and the per-request caches that `counterKey` uses.
   */
  match(facts: RequestFacts): number {
    this.epoch++
    this.ipFamily = UNPARSED
    this.ipText = undefined
    const cand = this.candidates
    const tmp = this.scratch
    const words = cand.length
    // Plain loops, not TypedArray.set: with one or a few words the builtin call costs more than the copy.
    for (let k = 0; k < words; k++) cand[k] = this.all[k]!

    if (this.byMethod !== undefined) {
      const bits = this.byMethod.get(facts.method)
      const none = this.noMethodCondition
      let any = 0
      for (let k = 0; k < words; k++) {
        const v = cand[k]! & (none[k]! | (bits === undefined ? 0 : bits[k]!))
        cand[k] = v
        any |= v
      }
      if (any === 0) return 0
    }
    if (this.ips !== undefined) {
      for (let k = 0; k < words; k++) tmp[k] = this.noIpCondition[k]!
      const family = this.parseClientIp(facts)
      if (family === IPV4) this.ips.matchV4(this.ipWords[0]!, tmp)
      else if (family === IPV6) this.ips.matchV6(this.ipWords, tmp)
      if (!andInto(cand, tmp)) return 0
    }
    if (this.paths !== undefined) {
      for (let k = 0; k < words; k++) tmp[k] = this.noPathCondition[k]!
      this.paths.match(facts.path, tmp)
      if (!andInto(cand, tmp)) return 0
    }

    let count = 0
    const matched = this.matched
    const rules = this.rules
    for (let w = 0; w < cand.length; w++) {
      let bits = cand[w]! | 0
      while (bits !== 0) {
        const low = bits & -bits
        bits ^= low
        const index = (w << 5) + 31 - Math.clz32(low)
        const conditions = rules[index]!.headerConditions
        if (conditions.length > 0 && !this.headersHold(conditions, facts)) continue
        matched[count++] = index
      }
    }
    return count
  }

  /**
   * The counter key of `rule` for the request last passed to `match`: the id alone, or the id and one value per
   * `by` dimension (see counter-key.ts). An absent header counts as the empty value.
   */
  counterKey(rule: CompiledRule, facts: RequestFacts): string {
    const by = rule.by
    if (by.length === 0) return rule.keyPrefix
    let key = rule.keyPrefix
    for (let j = 0; j < by.length; j++) {
      if (j > 0) key += KEY_SEPARATOR
      const part = by[j]!
      let value: string
      if (part.kind === BY_IP) value = this.clientIpText(facts)
      else if (part.kind === BY_PATH) value = withoutTrailingSlash(facts.path)
      else if (part.kind === BY_METHOD) value = facts.method
      else value = this.headerValue(facts, part.slot) ?? ''
      key += keyValue(value)
    }
    return key
  }

  private headersHold(conditions: readonly HeaderCondition[], facts: RequestFacts): boolean {
    for (let c = 0; c < conditions.length; c++) {
      const condition = conditions[c]!
      const value = this.headerValue(facts, condition.slot)
      if (value === undefined || !condition.glob.matches(value)) return false
    }
    return true
  }

  // Each header is read from the request at most once per request, however many rules look at it.
  private headerValue(facts: RequestFacts, slot: number): string | undefined {
    if (this.headerEpochs[slot] !== this.epoch) {
      this.headerValues[slot] = facts.header(this.headerNames[slot]!)
      this.headerEpochs[slot] = this.epoch
    }
    return this.headerValues[slot]
  }

  private parseClientIp(facts: RequestFacts): IpFamily {
    if (this.ipFamily === UNPARSED) this.ipFamily = parseIp(facts.ip, this.ipWords)
    return this.ipFamily
  }

  // One spelling per address in keys: "::ffff:1.2.3.4" counts as "1.2.3.4", IPv6 in its RFC 5952 form.
  private clientIpText(facts: RequestFacts): string {
    if (this.ipText !== undefined) return this.ipText
    const family = this.parseClientIp(facts)
    let text: string
    if (family === NOT_IP) text = facts.ip
    else if (family === IPV4 && facts.ip.indexOf(':') < 0) text = facts.ip
    else text = formatIp(family, this.ipWords)
    this.ipText = text
    return text
  }
}

function withoutTrailingSlash(path: string): string {
  return path.length > 1 && path.charCodeAt(path.length - 1) === 47 ? path.slice(0, -1) : path
}

/** A condition's values as a list ([] = no condition). An empty list would silently mean "any": refused. */
function conditionList<T>(value: T | readonly T[] | undefined, field: string): readonly T[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) return [value as T]
  if (value.length === 0) throw new RuleInvalidError(field, '[] is an empty list')
  return value as readonly T[]
}

/**
 * Compiles a validated rule set (see rulesSchema). Throws a RuleInvalidError if given rules that would not have
 * passed validation. Cheap enough to run on every rule change; the result is swapped in atomically by the caller.
 */
export function compileRules(rules: readonly RuleConfig[]): CompiledRules {
  return new CompiledRules(rules)
}
