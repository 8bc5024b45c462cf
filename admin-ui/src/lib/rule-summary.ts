// How a rule and its live usage read in the Limits table: a one-line summary of what it matches, and the usage of
// its busiest key as a fraction of the limit (the figure an operator scans for).

import type { KeyUsage, Rule, RuleBody, RuleUsage } from './api-types.js'

/** What the API names as `updatedBy` of a rule that comes from the configuration file. */
export const CONFIG_FILE = 'cluster.yml'

export interface RuleRow {
  rule: Rule
  /** Null until this node's counters report the rule (just created, or usage not loaded yet). */
  usage: RuleUsage | null
  /** The key with the highest estimate, or null when nothing was counted in the window. */
  busiest: KeyUsage | null
  /** busiest.estimate / limit, 0 when nothing was counted. */
  fraction: number
}

function list(value: string | string[] | undefined): string {
  if (value === undefined) return ''
  return Array.isArray(value) ? value.join(', ') : value
}

/** "ip 152.152.152.152 · path /items/*", or "every request" for a rule without match. */
export function describeMatch(rule: RuleBody): string {
  const parts: string[] = []
  const match = rule.match ?? {}
  if (match.ip !== undefined) parts.push(`ip ${list(match.ip)}`)
  if (match.path !== undefined) parts.push(`path ${list(match.path)}`)
  if (match.method !== undefined) parts.push(`method ${list(match.method)}`)
  for (const [name, value] of Object.entries(match.header ?? {})) parts.push(`${name}: ${value}`)
  return parts.length === 0 ? 'every request' : parts.join(' · ')
}

/** Who made a rule's last change, after its age: "on n2", or "from cluster.yml" for a rule as the file gives it. */
export function describeChanger(updatedBy: string): string {
  return updatedBy === CONFIG_FILE ? `from ${CONFIG_FILE}` : `on ${updatedBy}`
}

/** "per minute", "per 10s". */
export function describeWindow(per: string): string {
  return `per ${per}`
}

/** Rules in the order the API lists them, each with its usage. */
export function ruleRows(rules: readonly Rule[], usage: readonly RuleUsage[]): RuleRow[] {
  const byId = new Map(usage.map((u) => [u.id, u]))
  return rules.map((rule) => {
    const ruleUsage = byId.get(rule.id) ?? null
    let busiest: KeyUsage | null = null
    for (const key of ruleUsage?.keys ?? []) {
      if (busiest === null || key.estimate > busiest.estimate) busiest = key
    }
    const limit = ruleUsage?.limit ?? rule.limit
    const fraction = busiest === null || busiest.estimate <= 0 || limit <= 0 ? 0 : busiest.estimate / limit
    return { rule, usage: ruleUsage, busiest, fraction }
  })
}

/** Usage level for colouring: under 70% calm, up to 100% warning, at or over the limit critical. */
export function usageLevel(fraction: number): 'calm' | 'warning' | 'critical' {
  if (fraction >= 1) return 'critical'
  if (fraction >= 0.7) return 'warning'
  return 'calm'
}
