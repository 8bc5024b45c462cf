// The limiter as the proxy calls it: decides, then reports every matching rule's outcome to the statistics
// (admitted/limited per rule, the limited keys for the heavy-hitters summary) and logs shadow rejections, at most
// once per rule per second so a flood of them does not become a flood of log lines.
import type { LimitVerdict, RequestFacts, RequestLimiter } from './http/proxy-server.js'
import type { Logger } from './logger.js'
import type { Limiter } from './rules/index.js'
import type { NodeStats } from './stats/index.js'

const SHADOW_LOG_INTERVAL_MS = 1000
/**
 * An admission that leaves a key this close to its limit asks for the deltas to go out at the end of this event-loop
 * turn instead of at the next gossip tick: near a limit, what peers have not seen yet is what they over-admit, and
 * what a node killed right now has not sent is lost until it returns.
 */
const URGENT_REMAINING = 32

export class LimiterWithStats implements RequestLimiter {
  private readonly limiter: Limiter
  private readonly stats: NodeStats
  private readonly logger: Logger
  private readonly lastShadowLog = new Map<string, number>()

  private readonly urgent: () => void
  private readonly recording: boolean

  /**
   * `urgent` is called (at most once per decision) when an admission left a key close to its limit. With
   * `recording` false (stats.enabled: false) rule outcomes are not counted in the statistics.
   */
  constructor(limiter: Limiter, stats: NodeStats, logger: Logger, urgent: () => void, recording = true) {
    this.limiter = limiter
    this.stats = stats
    this.logger = logger
    this.urgent = urgent
    this.recording = recording
  }

  decide(facts: RequestFacts, now: number): LimitVerdict {
    const d = this.limiter.decide(facts, now)
    const outcomes = d.outcomes
    let close = false
    for (let i = 0; i < d.outcomeCount; i++) {
      const o = outcomes[i]!
      if (o.status === 'admitted' && o.remaining <= URGENT_REMAINING) close = true
      if (!this.recording) continue
      const id = o.rule!.id
      switch (o.status) {
        case 'admitted':
          this.stats.recordRule(id, true)
          break
        case 'limited':
          this.stats.recordRule(id, false)
          this.stats.recordLimitedKey(id, keyValues(id, o.key))
          break
        case 'shadow-limited':
          this.stats.recordRule(id, false)
          this.stats.recordLimitedKey(id, keyValues(id, o.key))
          this.logShadow(id, o.key, o.estimate, now)
          break
        case 'not-counted':
          break
      }
    }
    if (close) this.urgent()
    return d
  }

  private logShadow(rule: string, key: string, estimate: number, now: number): void {
    const last = this.lastShadowLog.get(rule) ?? 0
    if (now - last < SHADOW_LOG_INTERVAL_MS) return
    this.lastShadowLog.set(rule, now)
    this.logger.info({ rule, key, estimate: Math.round(estimate) }, 'shadow rule over its limit (request admitted)')
  }
}

/** "per-ip|127.0.0.7" → "127.0.0.7": what people want to read in "who is being limited" (the rule is beside it). */
function keyValues(ruleId: string, key: string): string {
  return key.length > ruleId.length ? key.slice(ruleId.length + 1) : ''
}
