// meliproxy rules (as written in cluster.yml) → the nginx baseline's limit_req zones, so both proxies do the same
// limiting work. nginx can express a subset: match by address/CIDR and by one path prefix, count by ip and/or path,
// a rate per second or per minute. A path glob becomes its literal prefix ("/categories/*" → "/categories/"),
// which matches deeper paths too: equal work, not an equal language. Anything else is refused with a message
// naming the rule and the field, never approximated silently.
import { parseWindow } from '../../node/rules/window-duration.js'
import { BenchOptionsError } from './errors.js'
import type { NginxLimitRule } from './nginx-config.js'

const MINUTE_MS = 60_000

function fail(where: string, message: string): never {
  throw new BenchOptionsError(`${where}: ${message} (the nginx baseline cannot express it; use rules nginx can, or --rules off)`)
}

function stringList(where: string, value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[]
  return fail(where, `${JSON.stringify(value)} is not a string or a list of strings`)
}

/** The literal prefix of a path glob, when the glob is "literal", "literal/*" or "literal/**". */
function pathPrefix(where: string, glob: string): string {
  const m = /^(\/[^*]*?)(\*\*?)?$/.exec(glob)
  if (m === null || (m[2] !== undefined && !m[1]!.endsWith('/'))) return fail(where, `${JSON.stringify(glob)} has a wildcard before its last segment`)
  return m[1]!
}

export function ruleToNginx(rule: Record<string, unknown>, index: number): NginxLimitRule {
  const where = `rules[${index}]`
  const id = rule.id
  if (typeof id !== 'string') return fail(`${where}.id`, `${JSON.stringify(id)} is not a rule id`)
  if (rule.mode !== undefined && rule.mode !== 'enforce') fail(`${where}.mode`, `${JSON.stringify(rule.mode)} (nginx's limit_req_dry_run is per location, not per zone)`)
  const limit = rule.limit
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) return fail(`${where}.limit`, `${JSON.stringify(limit)} is not a positive integer`)
  const windowMs = typeof rule.per === 'string' ? parseWindow(rule.per) : undefined
  if (windowMs === undefined) return fail(`${where}.per`, `${JSON.stringify(rule.per)} is not a window`)
  let per: NginxLimitRule['per']
  let nginxLimit: number
  if (windowMs === 1000) {
    per = 'second'
    nginxLimit = limit
  } else if ((limit * MINUTE_MS) % windowMs === 0) {
    // nginx rates are whole requests per second or per minute: N per window → N·60 s/window per minute.
    per = 'minute'
    nginxLimit = (limit * MINUTE_MS) / windowMs
  } else return fail(`${where}.per`, `${limit} per ${String(rule.per)} is not a whole number of requests per minute`)
  const out: NginxLimitRule = { id, limit: nginxLimit, per, burst: limit }
  const match = rule.match
  if (match !== undefined) {
    if (match === null || typeof match !== 'object' || Array.isArray(match)) return fail(`${where}.match`, 'is not a mapping')
    const m = match as Record<string, unknown>
    for (const key of Object.keys(m)) if (key !== 'ip' && key !== 'path') fail(`${where}.match.${key}`, 'is not ip or path')
    const matchOut: NonNullable<NginxLimitRule['match']> = {}
    if (m.ip !== undefined) matchOut.ip = stringList(`${where}.match.ip`, m.ip)
    if (m.path !== undefined) {
      const paths = stringList(`${where}.match.path`, m.path)
      if (paths.length !== 1) fail(`${where}.match.path`, `${paths.length} globs (one path prefix per zone)`)
      matchOut.pathPrefix = pathPrefix(`${where}.match.path`, paths[0]!)
    }
    out.match = matchOut
  }
  if (rule.by !== undefined) {
    const by = stringList(`${where}.by`, rule.by)
    for (const b of by) if (b !== 'ip' && b !== 'path') fail(`${where}.by`, `${JSON.stringify(b)} is not ip or path`)
    out.by = by as Array<'ip' | 'path'>
  }
  return out
}

/** Every rule converted, or BenchOptionsError for the first one nginx cannot express. */
export function rulesToNginx(rules: readonly Record<string, unknown>[]): NginxLimitRule[] {
  return rules.map((r, i) => ruleToNginx(r, i))
}
