// How buckets look in MongoDB, and the aggregation that sums them over nodes.
//
// Documents are keyed by { node, start } (a unique index per collection), so an upsert of the same bucket
// replaces the document instead of adding to it. Rule ids, limited keys and statuses are stored as arrays of
// sub-documents, never as field names: a rule id may contain '.' or start with '$', which MongoDB field names
// cannot. Hourly documents also carry the original system's fields (toOriginalHourly), so its dashboards'
// queries (totalQty, okQty, … by date and hour) keep working.
//
// The cluster query groups by start in the server: counters are summed there; histograms, rules, heavy hitters
// and statuses are pushed per node and merged here with the same functions as the embedded (LMDB) path.
import type { Document } from 'mongodb'
import { emptyHistogram, mergeHistogram, type HistogramData } from './histogram.js'
import { OUTCOMES } from './outcome.js'
import { toOriginalHourly } from './original-hourly.js'
import { mergeTopLimited, type TopLimitedEntry } from './space-saving.js'
import { alignTo, emptyBucket, MERGED_NODE, type Resolution, type StatsBucket, type StatsQuery } from './stats-bucket.js'

export interface MongoBucketDocument extends Document {
  node: string
  nodeName: string
  start: number
  resolution: Resolution
  datetime: Date
  outcomes: Record<string, number>
  total: number
  bytesIn: number
  bytesOut: number
  latency: { total: HistogramData; proxy: HistogramData }
  rules: Array<{ rule: string; admitted: number; limited: number }>
  topLimited: TopLimitedEntry[]
  statuses: Array<{ status: number; count: number }>
}

export function bucketToMongoDocument(b: StatsBucket, nodeName: string): MongoBucketDocument {
  const doc: MongoBucketDocument = {
    node: b.node,
    nodeName,
    start: b.start,
    resolution: b.resolution,
    datetime: new Date(b.start),
    outcomes: { ...b.outcomes },
    total: b.total,
    bytesIn: b.bytesIn,
    bytesOut: b.bytesOut,
    latency: b.latency,
    rules: Object.keys(b.rules).map((rule) => ({ rule, admitted: b.rules[rule]!.admitted, limited: b.rules[rule]!.limited })),
    topLimited: b.topLimited.map((e) => ({ rule: e.rule, key: e.key, count: e.count, error: e.error })),
    statuses: Object.keys(b.statuses).map((s) => ({ status: Number(s), count: b.statuses[Number(s)]! })),
  }
  return b.resolution === 'hour' ? { ...doc, ...toOriginalHourly(b) } : doc
}

const OUTCOME_FIELD_PREFIX = 'outcome_'

/** Sums every node's buckets per start, for buckets overlapping [from, to). */
export function clusterQueryPipeline(q: StatsQuery): Document[] {
  const group: Document = {
    _id: '$start',
    nodes: { $addToSet: '$node' },
    total: { $sum: '$total' },
    bytesIn: { $sum: '$bytesIn' },
    bytesOut: { $sum: '$bytesOut' },
    latencyTotal: { $push: '$latency.total' },
    latencyProxy: { $push: '$latency.proxy' },
    rules: { $push: '$rules' },
    topLimited: { $push: '$topLimited' },
    statuses: { $push: '$statuses' },
  }
  for (const o of OUTCOMES) group[`${OUTCOME_FIELD_PREFIX}${o}`] = { $sum: `$outcomes.${o}` }
  return [{ $match: { start: { $gte: alignTo(q.from, q.resolution), $lt: q.to } } }, { $group: group }, { $sort: { _id: 1 } }]
}

/** One group of clusterQueryPipeline's output as a bucket. */
export function groupToBucket(g: Document, resolution: Resolution, maxTopKeys: number): StatsBucket {
  const nodes = g.nodes as string[]
  const b = emptyBucket(nodes.length === 1 ? nodes[0]! : MERGED_NODE, g._id as number, resolution)
  for (const o of OUTCOMES) b.outcomes[o] = (g[`${OUTCOME_FIELD_PREFIX}${o}`] as number | undefined) ?? 0
  b.total = g.total as number
  b.bytesIn = g.bytesIn as number
  b.bytesOut = g.bytesOut as number
  b.latency.total = (g.latencyTotal as HistogramData[]).reduce(mergeHistogram, emptyHistogram())
  b.latency.proxy = (g.latencyProxy as HistogramData[]).reduce(mergeHistogram, emptyHistogram())
  for (const list of g.rules as MongoBucketDocument['rules'][]) {
    for (const r of list) {
      const acc = b.rules[r.rule]
      if (acc === undefined) b.rules[r.rule] = { admitted: r.admitted, limited: r.limited }
      else {
        acc.admitted += r.admitted
        acc.limited += r.limited
      }
    }
  }
  b.topLimited = mergeTopLimited(g.topLimited as TopLimitedEntry[][], maxTopKeys)
  for (const list of g.statuses as MongoBucketDocument['statuses'][]) {
    for (const s of list) b.statuses[s.status] = (b.statuses[s.status] ?? 0) + s.count
  }
  return b
}
