// GET /api/v1/estimate: this node's current sliding-window estimate of one counter key, named by its `by` values or
// built from a described request exactly as the proxy builds it.
import { normalizePathOrNull, type CompiledRule, type RequestFacts } from '../rules/index.js'
import { nowOf, type AdminNode } from './admin-node.js'
import { AdminNotFoundError } from './errors.js'
import { badParam, param } from './query-params.js'
import { round3 } from './rounding.js'

export interface EstimateAnswer {
  rule: string
  key: string
  estimate: number
  limit: number
  remaining: number
  windowMs: number
}

/**
 * The estimate of one counter key: `key` is the rule's `by` values joined by "|" as the proxy builds them (empty for
 * a rule without `by`), or `ip`, `path` and `method` describe a request and the key is built from them.
 */
export function estimate(node: AdminNode, query: URLSearchParams): EstimateAnswer {
  const id = param(query, 'rule')
  if (id === undefined || id === '') throw badParam('rule', id, 'is missing (the id of a rule)')
  const compiled = node.rules.compiled
  const rule = compiled.rules.find((r) => r.id === id)
  if (rule === undefined) throw new AdminNotFoundError(`there is no rule with id ${JSON.stringify(id)}`)
  const given = param(query, 'key')
  let counterKey: string
  if (given !== undefined) {
    if (rule.by.length === 0 && given !== '') throw badParam('key', given, `is not empty, and rule ${id} has no "by" (its only key is "")`)
    counterKey = rule.by.length === 0 ? rule.keyPrefix : rule.keyPrefix + given
  } else {
    const facts = factsFrom(query)
    // match() resets the per-request caches counterKey reads; both run synchronously, as on the hot path.
    compiled.match(facts)
    counterKey = compiled.counterKey(rule, facts)
  }
  const now = nowOf(node)
  const value = node.counters.estimate(counterKey, rule.windowMs, now)
  const left = rule.limit - value
  return {
    rule: id,
    key: keyValuesOf(rule, counterKey),
    estimate: round3(value),
    limit: rule.limit,
    remaining: left > 0 ? Math.floor(left) : 0,
    windowMs: rule.windowMs,
  }
}

function factsFrom(query: URLSearchParams): RequestFacts {
  const rawPath = param(query, 'path') ?? '/'
  const path = normalizePathOrNull(rawPath)
  if (path === null) throw badParam('path', rawPath, 'is not a valid request path')
  const method = (param(query, 'method') ?? 'GET').toUpperCase()
  const ip = param(query, 'ip') ?? ''
  return { ip, path, method, header: () => undefined }
}

function keyValuesOf(rule: CompiledRule, counterKey: string): string {
  return rule.by.length === 0 ? '' : counterKey.slice(rule.keyPrefix.length)
}
