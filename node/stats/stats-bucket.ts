// The unit of statistics: what one node (or, merged, the cluster) served during one minute or one hour.
import { emptyHistogram, type HistogramData } from './histogram.js'
import { emptyOutcomes, type Outcome } from './outcome.js'
import type { TopLimitedEntry } from './space-saving.js'

export type Resolution = 'minute' | 'hour'

export const MINUTE_MS = 60_000
export const HOUR_MS = 3_600_000

/** `node` of a bucket merged from several nodes. */
export const MERGED_NODE = '*'

export interface RuleCounts {
  admitted: number
  /** Requests the rule rejected, shadow-mode rejections included. */
  limited: number
}

export interface StatsBucket {
  /** The node's peer id, or MERGED_NODE for a sum over several nodes. */
  node: string
  /** Start of the bucket, ms since the epoch, aligned to the resolution in UTC. */
  start: number
  resolution: Resolution
  outcomes: Record<Outcome, number>
  total: number
  bytesIn: number
  bytesOut: number
  /** µs; proxy = total - upstream time of each request (the time the proxy itself added). */
  latency: { total: HistogramData; proxy: HistogramData }
  rules: Record<string, RuleCounts>
  /** Heavy hitters among limited keys, highest count first; `error` bounds each count's overestimate. */
  topLimited: TopLimitedEntry[]
  /** Requests per exact HTTP status sent to the client (0 = a status outside 100…599). */
  statuses: Record<number, number>
}

export interface StatsQuery {
  /** Every bucket that overlaps [from, to) (ms since the epoch) is returned. */
  from: number
  to: number
  resolution: Resolution
}

export function resolutionMs(resolution: Resolution): number {
  return resolution === 'minute' ? MINUTE_MS : HOUR_MS
}

export function alignTo(t: number, resolution: Resolution): number {
  const size = resolutionMs(resolution)
  return Math.floor(t / size) * size
}

export function emptyBucket(node: string, start: number, resolution: Resolution): StatsBucket {
  return {
    node,
    start,
    resolution,
    outcomes: emptyOutcomes(),
    total: 0,
    bytesIn: 0,
    bytesOut: 0,
    latency: { total: emptyHistogram(), proxy: emptyHistogram() },
    rules: {},
    topLimited: [],
    statuses: {},
  }
}
