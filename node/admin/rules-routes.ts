// /api/v1/rules: list, create, update, delete (the RuleBook validates, stamps with its hybrid logical clock,
// replicates and persists), and live usage from this node's counters.
import type { RuleView } from '../state/rule-book.js'
import type { RuleConfig } from '../rules/index.js'
import { nowOf, type AdminNode } from './admin-node.js'
import { AdminConflictError, AdminInvalidRuleError, AdminNotFoundError } from './errors.js'
import { round3 } from './rounding.js'

/** Keys listed per rule with `by` in /rules/usage. */
export const USAGE_TOP_KEYS = 20

export type RuleAnswer = RuleConfig & { updatedAt: number; updatedBy: string }

export function ruleAnswer(v: RuleView): RuleAnswer {
  return { ...v.rule, updatedAt: v.updatedAt, updatedBy: v.updatedBy }
}

export function listRules(node: AdminNode): { rules: RuleAnswer[] } {
  return { rules: node.rules.list().map(ruleAnswer) }
}

export function createRule(node: AdminNode, body: unknown): { rule: RuleAnswer } {
  return { rule: ruleAnswer(translateRuleErrors(() => node.rules.create(body))) }
}

export function updateRule(node: AdminNode, id: string, body: unknown): { rule: RuleAnswer } {
  return { rule: ruleAnswer(translateRuleErrors(() => node.rules.update(id, body))) }
}

export function deleteRule(node: AdminNode, id: string): void {
  translateRuleErrors(() => node.rules.remove(id))
}

/** RuleBook errors → API errors, by code. */
function translateRuleErrors<T>(change: () => T): T {
  try {
    return change()
  } catch (err) {
    const e = err as { code?: unknown; message?: string; problems?: string[] }
    switch (e.code) {
      case 'MELIPROXY_ERR_RULE_INVALID':
        throw new AdminInvalidRuleError(`the rule is not valid: ${(e.problems ?? []).join('; ')}`, e.problems ?? [])
      case 'MELIPROXY_ERR_RULE_EXISTS':
        throw new AdminConflictError(e.message ?? 'a rule with that id exists')
      case 'MELIPROXY_ERR_RULE_NOT_FOUND':
        throw new AdminNotFoundError(e.message ?? 'no such rule')
      default:
        throw err
    }
  }
}

export interface RuleUsage {
  id: string
  limit: number
  windowMs: number
  keys: Array<{ key: string; estimate: number }>
}

/** Current estimates of every rule's keys, as this node's counters see them. */
export function rulesUsage(node: AdminNode): { rules: RuleUsage[] } {
  const now = nowOf(node)
  const counters = node.counters
  return {
    rules: node.rules.compiled.rules.map((r) => {
      let keys: Array<{ key: string; estimate: number }>
      if (r.by.length === 0) keys = [{ key: '', estimate: round3(counters.estimate(r.keyPrefix, r.windowMs, now)) }]
      else {
        const cut = r.keyPrefix.length
        keys = counters.topKeys(r.keyPrefix, r.windowMs, now, USAGE_TOP_KEYS).map((k) => ({ key: k.key.slice(cut), estimate: round3(k.estimate) }))
      }
      return { id: r.id, limit: r.limit, windowMs: r.windowMs, keys }
    }),
  }
}
