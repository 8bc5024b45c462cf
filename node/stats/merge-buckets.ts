// Sums of buckets: across nodes (the cluster view) and across minutes (the hour rollup).
import { mergeHistogram } from './histogram.js'
import { OUTCOMES } from './outcome.js'
import { mergeTopLimited } from './space-saving.js'
import { emptyBucket, MERGED_NODE, type StatsBucket } from './stats-bucket.js'

export const DEFAULT_MAX_TOP_KEYS = 100

/**
 * Adds `b` to `a` (both unchanged) and keeps the `maxTopKeys` heaviest limited keys. The result keeps a's start
 * and resolution; its node is a's when both share it, else MERGED_NODE.
 */
export function addBuckets(a: StatsBucket, b: StatsBucket, maxTopKeys = DEFAULT_MAX_TOP_KEYS): StatsBucket {
  const out = emptyBucket(a.node === b.node ? a.node : MERGED_NODE, a.start, a.resolution)
  for (const o of OUTCOMES) out.outcomes[o] = a.outcomes[o] + b.outcomes[o]
  out.total = a.total + b.total
  out.bytesIn = a.bytesIn + b.bytesIn
  out.bytesOut = a.bytesOut + b.bytesOut
  out.latency.total = mergeHistogram(a.latency.total, b.latency.total)
  out.latency.proxy = mergeHistogram(a.latency.proxy, b.latency.proxy)
  for (const src of [a.rules, b.rules]) {
    for (const id of Object.keys(src)) {
      const c = src[id]!
      const acc = out.rules[id]
      if (acc === undefined) out.rules[id] = { admitted: c.admitted, limited: c.limited }
      else {
        acc.admitted += c.admitted
        acc.limited += c.limited
      }
    }
  }
  out.topLimited = mergeTopLimited([a.topLimited, b.topLimited], maxTopKeys)
  for (const src of [a.statuses, b.statuses]) {
    for (const code of Object.keys(src)) {
      const n = Number(code)
      out.statuses[n] = (out.statuses[n] ?? 0) + src[n]!
    }
  }
  return out
}

/**
 * Sums buckets per (start, resolution), e.g. the same minutes from every node. Oldest first, minute before hour
 * at equal start. Inputs are not changed. A group from one node keeps that node's id; otherwise MERGED_NODE.
 */
export function mergeBuckets(buckets: StatsBucket[], maxTopKeys = DEFAULT_MAX_TOP_KEYS): StatsBucket[] {
  const groups = new Map<string, StatsBucket>()
  for (const b of buckets) {
    const id = `${b.resolution}:${b.start}`
    const acc = groups.get(id)
    groups.set(id, addBuckets(acc ?? emptyBucket(b.node, b.start, b.resolution), b, maxTopKeys))
  }
  const out = [...groups.values()]
  out.sort((x, y) => x.start - y.start || (x.resolution === y.resolution ? 0 : x.resolution === 'minute' ? -1 : 1))
  return out
}
