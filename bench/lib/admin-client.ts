// The few admin API calls the suites make (node/admin/API.md): the cluster view (per-peer gossip lag and bytes),
// Prometheus counters, and rules. Every answer is checked for the fields used; anything else is a BenchAdminError.
import { BenchAdminError } from './errors.js'

export interface AdminTarget {
  admin: string
}

export interface MemberView {
  id: string
  state: string
  lagMs: { p50: number; p99: number } | null
  gossip: { bytesIn: number; bytesOut: number }
}

export interface ClusterView {
  self: string
  members: MemberView[]
}

const TIMEOUT_MS = 5000

async function call(node: AdminTarget, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown; text: string }> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(TIMEOUT_MS) }
  if (body !== undefined) {
    init.body = JSON.stringify(body)
    init.headers = { ...init.headers, 'content-type': 'application/json' }
  }
  const res = await fetch(`${node.admin}${path}`, init)
  const text = await res.text()
  let json: unknown
  try {
    json = text === '' ? undefined : JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, json, text }
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

export async function clusterView(node: AdminTarget, token: string): Promise<ClusterView> {
  const { status, json, text } = await call(node, token, 'GET', '/api/v1/cluster')
  const body = json as { self?: unknown; members?: unknown } | undefined
  if (status !== 200 || body === undefined || typeof body.self !== 'string' || !Array.isArray(body.members)) {
    throw new BenchAdminError(`GET ${node.admin}/api/v1/cluster: ${status} ${text.slice(0, 200)}`)
  }
  const members = body.members.map((m: Record<string, unknown>): MemberView => {
    const lag = m.lagMs as { p50?: unknown; p99?: unknown } | null | undefined
    const gossip = m.gossip as { bytesIn?: unknown; bytesOut?: unknown } | undefined
    if (typeof m.id !== 'string' || gossip === undefined || !isNumber(gossip.bytesIn) || !isNumber(gossip.bytesOut)) {
      throw new BenchAdminError(`GET ${node.admin}/api/v1/cluster: a member lacks id or gossip bytes: ${JSON.stringify(m).slice(0, 200)}`)
    }
    return {
      id: m.id,
      state: String(m.state),
      lagMs: lag !== null && lag !== undefined && isNumber(lag.p50) && isNumber(lag.p99) ? { p50: lag.p50, p99: lag.p99 } : null,
      gossip: { bytesIn: gossip.bytesIn, bytesOut: gossip.bytesOut },
    }
  })
  return { self: body.self, members }
}

/**
 * Sum of every sample of `metric` in the node's /metrics whose labels contain all of `labels` (e.g.
 * `meliproxy_gossip_frames_total`, `{ direction: 'in' }`).
 */
export async function metricSum(node: AdminTarget, token: string, metric: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
  const { status, text } = await call(node, token, 'GET', '/metrics')
  if (status !== 200) throw new BenchAdminError(`GET ${node.admin}/metrics: ${status} ${text.slice(0, 200)}`)
  return sumMetric(text, metric, labels)
}

/** The sum over samples of `metric` in Prometheus text whose labels include `labels`. */
export function sumMetric(text: string, metric: string, labels: Readonly<Record<string, string>> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue
    const rest = line.slice(metric.length)
    if (rest[0] !== '{' && rest[0] !== ' ') continue
    const close = rest[0] === '{' ? rest.indexOf('}') : -1
    const labelText = close === -1 ? '' : rest.slice(1, close)
    if (!wanted.every((w) => labelText.split(',').includes(w))) continue
    const value = Number(rest.slice(close + 1).trim().split(' ')[0])
    if (Number.isFinite(value)) sum += value
  }
  return sum
}

export async function createRule(node: AdminTarget, token: string, rule: Record<string, unknown>): Promise<void> {
  const { status, text } = await call(node, token, 'POST', '/api/v1/rules', rule)
  if (status !== 201) throw new BenchAdminError(`POST ${node.admin}/api/v1/rules (${String(rule.id)}): ${status} ${text.slice(0, 300)}`)
}

export async function deleteRule(node: AdminTarget, token: string, id: string): Promise<void> {
  const { status, text } = await call(node, token, 'DELETE', `/api/v1/rules/${encodeURIComponent(id)}`)
  if (status !== 204 && status !== 404) throw new BenchAdminError(`DELETE ${node.admin}/api/v1/rules/${id}: ${status} ${text.slice(0, 300)}`)
}

export async function ruleIds(node: AdminTarget, token: string): Promise<string[]> {
  const { status, json, text } = await call(node, token, 'GET', '/api/v1/rules')
  const rules = (json as { rules?: unknown } | undefined)?.rules
  if (status !== 200 || !Array.isArray(rules)) throw new BenchAdminError(`GET ${node.admin}/api/v1/rules: ${status} ${text.slice(0, 200)}`)
  return rules.map((r: { id?: unknown }) => String(r.id))
}

export interface RuleCounts {
  admitted: number
  limited: number
}

/**
 * Per-rule admitted/limited counts of each minute bucket in [from, to), summed over the cluster (GET
 * /api/v1/stats?resolution=minute&node=merged): the nodes' own count, keyed by the bucket's start. `missing` lists
 * members that did not answer (their counts are then absent).
 */
export async function ruleCountsPerMinute(node: AdminTarget, token: string, from: number, to: number): Promise<{ minutes: Map<number, Record<string, RuleCounts>>; missing: string[] }> {
  const { status, json, text } = await call(node, token, 'GET', `/api/v1/stats?from=${from}&to=${to}&resolution=minute&node=merged`)
  const body = json as { series?: Array<{ buckets?: Array<{ start?: unknown; rules?: unknown }> }>; missing?: unknown } | undefined
  if (status !== 200 || body === undefined || !Array.isArray(body.series)) throw new BenchAdminError(`GET ${node.admin}/api/v1/stats: ${status} ${text.slice(0, 200)}`)
  const minutes = new Map<number, Record<string, RuleCounts>>()
  for (const b of body.series[0]?.buckets ?? []) {
    if (!isNumber(b.start) || b.rules === null || typeof b.rules !== 'object') throw new BenchAdminError(`GET ${node.admin}/api/v1/stats: a bucket lacks start or rules`)
    minutes.set(b.start, b.rules as Record<string, RuleCounts>)
  }
  return { minutes, missing: Array.isArray(body.missing) ? body.missing.map(String) : [] }
}
