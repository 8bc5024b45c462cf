// GET /api/v1/stats and /api/v1/stats/top-limited: every member's buckets (or top lists), fetched over the peer
// protocol in their stored form, merged here, then summarised for people: latencies in milliseconds as mean and
// percentiles of the merged histograms (percentiles of a sum, not a mean of percentiles).
import {
  mean,
  mergeBuckets,
  mergeTopLimited,
  OUTCOMES,
  percentile,
  type HistogramData,
  type Outcome,
  type Resolution,
  type RuleCounts,
  type StatsBucket,
} from '../stats/index.js'
import { nowOf, type AdminNode } from './admin-node.js'
import type { ClusterQuery } from './cluster-query.js'
import { MAX_RANGE_BUCKETS, MAX_TOP_LIMITED, bucketsSpanned } from './peer-protocol.js'
import { badParam, enumParam, integerParam, param, timeParam } from './query-params.js'

const HOUR = 3_600_000
export const DEFAULT_TOP_LIMITED = 20

export interface LatencySummary {
  mean: number
  p50: number
  p90: number
  p99: number
}

export interface ApiBucket {
  start: number
  total: number
  outcomes: Record<Outcome, number>
  bytesIn: number
  bytesOut: number
  latency: { total: LatencySummary | null; proxy: LatencySummary | null }
  rules: Record<string, RuleCounts>
}

export interface StatsAnswer {
  resolution: Resolution
  from: number
  to: number
  nodes: string[]
  missing: string[]
  series: Array<{ node: string; buckets: ApiBucket[] }>
}

export async function statsView(node: AdminNode, query: ClusterQuery, params: URLSearchParams): Promise<StatsAnswer> {
  const now = nowOf(node)
  const to = timeParam(params, 'to', now)
  const from = timeParam(params, 'from', to - HOUR)
  const resolution = enumParam(params, 'resolution', ['minute', 'hour'] as const, 'minute')
  const which = param(params, 'node') ?? 'merged'
  if (to <= from) throw badParam('to', to, `is not after query.from (${from})`)
  if (bucketsSpanned(from, to, resolution) > MAX_RANGE_BUCKETS) {
    throw badParam('to', to, `makes a range of more than ${MAX_RANGE_BUCKETS} ${resolution} buckets (from ${from}); use a shorter range or resolution=hour`)
  }
  let members = query.membersInConfigOrder()
  if (which !== 'merged' && which !== 'all') {
    const all = members
    members = all.filter((m) => m.name === which)
    if (members.length === 0) throw badParam('node', which, `is not merged, all or a member (${all.map((m) => m.name).join(', ')})`)
  }
  const { answers, missing } = await query.stats(members, { from, to, resolution })
  const series: StatsAnswer['series'] =
    which === 'merged'
      ? [{ node: 'merged', buckets: mergeBuckets(answers.flatMap((a) => a.answer), 0).map(toApiBucket) }]
      : answers.map((a) => ({ node: a.member.name, buckets: a.answer.map(toApiBucket) }))
  return { resolution, from, to, nodes: answers.map((a) => a.member.name), missing, series }
}

export interface TopLimitedAnswer {
  keys: Array<{ rule: string; key: string; count: number }>
  missing: string[]
}

export async function topLimitedView(node: AdminNode, query: ClusterQuery, params: URLSearchParams): Promise<TopLimitedAnswer> {
  const now = nowOf(node)
  const to = timeParam(params, 'to', now)
  const from = timeParam(params, 'from', to - HOUR)
  const limit = integerParam(params, 'limit', 1, MAX_TOP_LIMITED, DEFAULT_TOP_LIMITED)
  if (to <= from) throw badParam('to', to, `is not after query.from (${from})`)
  const { answers, missing } = await query.topLimited(query.membersInConfigOrder(), { from, to, limit })
  const merged = mergeTopLimited(
    answers.map((a) => a.answer),
    limit,
  )
  return { keys: merged.map((e) => ({ rule: e.rule, key: e.key, count: e.count })), missing }
}

export function toApiBucket(b: StatsBucket): ApiBucket {
  const outcomes = {} as Record<Outcome, number>
  for (const o of OUTCOMES) outcomes[o] = b.outcomes[o]
  // Rule ids come from the network: a null-prototype object cannot have its prototype replaced by "__proto__".
  const rules = Object.create(null) as Record<string, RuleCounts>
  for (const id of Object.keys(b.rules)) {
    const c = b.rules[id]!
    rules[id] = { admitted: c.admitted, limited: c.limited }
  }
  return {
    start: b.start,
    total: b.total,
    outcomes,
    bytesIn: b.bytesIn,
    bytesOut: b.bytesOut,
    latency: { total: summary(b.latency.total), proxy: summary(b.latency.proxy) },
    rules,
  }
}

/** Mean and percentiles in ms (µs precision); null when the bucket recorded no latency. */
export function summary(h: HistogramData): LatencySummary | null {
  if (h.count === 0) return null
  return { mean: ms(mean(h)), p50: ms(percentile(h, 0.5)), p90: ms(percentile(h, 0.9)), p99: ms(percentile(h, 0.99)) }
}

function ms(micros: number): number {
  return Math.round(micros) / 1000
}
