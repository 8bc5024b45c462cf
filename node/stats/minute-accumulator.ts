// The in-progress minute of one node, in memory. Everything the hot path touches is preallocated: outcome and
// status counters are typed arrays, histograms are fixed arrays of bins, and per-rule counters survive from one
// minute to the next (zeroed, not reallocated), so a steady stream of requests allocates nothing. Rule counters
// untouched for a whole minute are dropped at the next reset, which keeps the map bounded by the live rule set.
import { HistogramRecorder } from './histogram.js'
import { OUTCOMES, OUTCOME_INDEX, type Outcome } from './outcome.js'
import { MAX_TOP_KEY_CHARS, SpaceSaving } from './space-saving.js'
import { emptyBucket, type RuleCounts, type StatsBucket } from './stats-bucket.js'

/** Rule ids past this many distinct ones in one minute are counted under OVERFLOW_RULE_ID. */
export const DEFAULT_MAX_RULES = 1000
export const OVERFLOW_RULE_ID = '(overflow)'
const STATUS_SLOTS = 600

class RuleCounter implements RuleCounts {
  admitted = 0
  limited = 0
}

export class MinuteAccumulator {
  start: number
  readonly outcomes = new Float64Array(OUTCOMES.length)
  readonly statuses = new Float64Array(STATUS_SLOTS)
  total = 0
  /** Bumped by every change, so a flush can skip a minute that did not change since the last one. */
  version = 0
  bytesIn = 0
  bytesOut = 0
  readonly totalLatency = new HistogramRecorder()
  readonly proxyLatency = new HistogramRecorder()
  readonly rules = new Map<string, RuleCounter>()
  readonly top: SpaceSaving

  constructor(
    start: number,
    maxTopKeys: number,
    private readonly maxRules = DEFAULT_MAX_RULES,
  ) {
    this.start = start
    this.top = new SpaceSaving(maxTopKeys)
  }

  record(outcome: Outcome, status: number, bytesIn: number, bytesOut: number, totalMicros: number, upstreamMicros: number): void {
    this.version++
    this.outcomes[OUTCOME_INDEX[outcome]]!++
    this.statuses[status >= 100 && status < STATUS_SLOTS ? status | 0 : 0]!++
    this.total++
    if (bytesIn > 0) this.bytesIn += bytesIn
    if (bytesOut > 0) this.bytesOut += bytesOut
    this.totalLatency.record(totalMicros)
    const proxy = totalMicros - (upstreamMicros > 0 ? upstreamMicros : 0)
    this.proxyLatency.record(proxy)
  }

  recordRule(ruleId: string, admitted: boolean): void {
    this.version++
    let c = this.rules.get(ruleId)
    if (c === undefined) c = this.addRule(ruleId)
    if (admitted) c.admitted++
    else c.limited++
  }

  recordLimitedKey(ruleId: string, key: string): void {
    this.version++
    this.top.offer(ruleId, key)
  }

  private addRule(ruleId: string): RuleCounter {
    if (this.rules.size >= this.maxRules || ruleId.length > MAX_TOP_KEY_CHARS) {
      let overflow = this.rules.get(OVERFLOW_RULE_ID)
      if (overflow === undefined) {
        overflow = new RuleCounter()
        this.rules.set(OVERFLOW_RULE_ID, overflow)
      }
      return overflow
    }
    const c = new RuleCounter()
    this.rules.set(ruleId, c)
    return c
  }

  isEmpty(): boolean {
    if (this.total !== 0 || this.top.size !== 0) return false
    for (const c of this.rules.values()) if (c.admitted !== 0 || c.limited !== 0) return false
    return true
  }

  /** Starts a new minute: counters go to zero, rule counters idle for the whole past minute are dropped. */
  reset(start: number): void {
    this.version++
    this.start = start
    this.outcomes.fill(0)
    if (this.total !== 0) this.statuses.fill(0)
    this.total = 0
    this.bytesIn = 0
    this.bytesOut = 0
    this.totalLatency.reset()
    this.proxyLatency.reset()
    for (const [id, c] of this.rules) {
      if (c.admitted === 0 && c.limited === 0) this.rules.delete(id)
      else {
        c.admitted = 0
        c.limited = 0
      }
    }
    this.top.clear()
  }

  /** Continues from a stored bucket of the same minute (a restart within the minute). */
  load(b: StatsBucket): void {
    this.version++
    OUTCOMES.forEach((o, i) => {
      this.outcomes[i]! += b.outcomes[o]
    })
    this.total += b.total
    this.bytesIn += b.bytesIn
    this.bytesOut += b.bytesOut
    this.totalLatency.add(b.latency.total)
    this.proxyLatency.add(b.latency.proxy)
    for (const id of Object.keys(b.rules)) {
      const stored = b.rules[id]!
      let c = this.rules.get(id)
      if (c === undefined) {
        c = new RuleCounter()
        this.rules.set(id, c)
      }
      c.admitted += stored.admitted
      c.limited += stored.limited
    }
    for (const e of b.topLimited) this.top.offer(e.rule, e.key, e.count, e.error)
    for (const code of Object.keys(b.statuses)) {
      const n = Number(code)
      if (n >= 0 && n < STATUS_SLOTS) this.statuses[n]! += b.statuses[n]!
    }
  }

  toBucket(node: string): StatsBucket {
    const b = emptyBucket(node, this.start, 'minute')
    OUTCOMES.forEach((o, i) => {
      b.outcomes[o] = this.outcomes[i]!
    })
    b.total = this.total
    b.bytesIn = this.bytesIn
    b.bytesOut = this.bytesOut
    b.latency.total = this.totalLatency.toData()
    b.latency.proxy = this.proxyLatency.toData()
    for (const [id, c] of this.rules) {
      if (c.admitted !== 0 || c.limited !== 0) b.rules[id] = { admitted: c.admitted, limited: c.limited }
    }
    b.topLimited = this.top.top()
    if (this.total !== 0) {
      const s = this.statuses
      for (let i = 0; i < s.length; i++) if (s[i] !== 0) b.statuses[i] = s[i]!
    }
    return b
  }
}
