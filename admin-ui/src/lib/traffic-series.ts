// Turns a /api/v1/stats answer into what the Traffic view draws: one x value per bucket of the range (gaps filled
// with zero requests, so a quiet minute shows as zero rather than as a line jumping over it), the four outcome
// groups the operator reads, the latency percentiles (null where a bucket had no requests), and the range's totals.

import type { Outcomes, StatsBucket, StatsResponse } from './api-types.js'
import { bucketStarts, MERGED } from './time-range.js'

export type OutcomeGroup = 'ok' | 'limited' | 'notFound' | 'errors'

export interface OutcomeGroupSpec {
  readonly id: OutcomeGroup
  readonly label: string
  readonly description: string
}

export const OUTCOME_GROUPS: readonly OutcomeGroupSpec[] = Object.freeze([
  { id: 'ok', label: 'OK', description: '2xx and 3xx from the upstream' },
  { id: 'limited', label: 'Limited', description: '429 from a rate limit' },
  { id: 'notFound', label: 'Not found', description: '404' },
  { id: 'errors', label: 'Errors', description: 'other 4xx, 5xx and upstream failures' },
])

export type OutcomeCounts = Record<OutcomeGroup, number>

export function groupOutcomes(outcomes: Outcomes): OutcomeCounts {
  return {
    ok: outcomes.ok2xx + outcomes.redirect3xx,
    limited: outcomes.limited429,
    notFound: outcomes.notFound404,
    errors: outcomes.clientError4xx + outcomes.serverError5xx + outcomes.upstreamError,
  }
}

export interface TrafficTotals extends OutcomeCounts {
  requests: number
  bytesIn: number
  bytesOut: number
}

export interface TrafficSeries {
  /** Bucket starts in epoch milliseconds, oldest first. */
  starts: number[]
  /** The same in seconds, as uPlot wants its time axis. */
  x: number[]
  requests: Record<OutcomeGroup, number[]>
  latency: {
    totalP50: (number | null)[]
    totalP99: (number | null)[]
    proxyP50: (number | null)[]
    proxyP99: (number | null)[]
  }
  totals: TrafficTotals
  /** Number of buckets that had at least one request. */
  activeBuckets: number
}

/** The series of `node` (`merged` or a node id) in `response`, or null when the answer has none for it. */
export function pickSeries(response: StatsResponse, node: string): StatsBucket[] | null {
  const wanted = node === MERGED ? MERGED : node
  const series = response.series.find((s) => s.node === wanted)
  if (series !== undefined) return series.buckets
  // A single-series answer for a single-node question is that node's, whatever it is labelled.
  return response.series.length === 1 && node !== MERGED ? response.series[0]!.buckets : null
}

export function trafficSeries(response: StatsResponse, node: string): TrafficSeries {
  const starts = bucketStarts(response)
  const index = new Map<number, number>()
  for (let i = 0; i < starts.length; i++) index.set(starts[i]!, i)

  const n = starts.length
  const zeros = (): number[] => new Array<number>(n).fill(0)
  const nulls = (): (number | null)[] => new Array<number | null>(n).fill(null)
  const result: TrafficSeries = {
    starts,
    x: starts.map((ms) => ms / 1000),
    requests: { ok: zeros(), limited: zeros(), notFound: zeros(), errors: zeros() },
    latency: { totalP50: nulls(), totalP99: nulls(), proxyP50: nulls(), proxyP99: nulls() },
    totals: { requests: 0, ok: 0, limited: 0, notFound: 0, errors: 0, bytesIn: 0, bytesOut: 0 },
    activeBuckets: 0,
  }

  for (const bucket of pickSeries(response, node) ?? []) {
    const i = index.get(bucket.start)
    if (i === undefined) continue
    const groups = groupOutcomes(bucket.outcomes)
    for (const group of OUTCOME_GROUPS) {
      result.requests[group.id][i]! += groups[group.id]
      result.totals[group.id] += groups[group.id]
    }
    result.totals.requests += bucket.total
    result.totals.bytesIn += bucket.bytesIn
    result.totals.bytesOut += bucket.bytesOut
    if (bucket.total > 0) {
      result.activeBuckets++
      result.latency.totalP50[i] = bucket.latency?.total?.p50 ?? null
      result.latency.totalP99[i] = bucket.latency?.total?.p99 ?? null
      result.latency.proxyP50[i] = bucket.latency?.proxy?.p50 ?? null
      result.latency.proxyP99[i] = bucket.latency?.proxy?.p99 ?? null
    }
  }
  return result
}
