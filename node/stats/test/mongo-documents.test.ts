import { describe, expect, it } from 'vitest'
import { bucketToMongoDocument, clusterQueryPipeline, groupToBucket } from '../mongo-documents.js'
import { HOUR_MS, MERGED_NODE } from '../stats-bucket.js'
import { bucketOf, s } from './sample-buckets.js'
import { T0 } from './helpers.js'

function fieldNames(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) fieldNames(x, out)
  else if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
    for (const [k, x] of Object.entries(v)) {
      out.push(k)
      fieldNames(x, out)
    }
  }
  return out
}

describe('MongoDB documents', () => {
  const bucket = bucketOf('node-a', T0, [s('ok2xx', 200, 2000, 1000), s('limited429', 429, 30, 0)], [['ip.limit', true], ['$weird', false]], [['$weird', 'ip=1.2.3.4']])

  it('keeps rule ids and keys out of field names (dots and $ are not allowed there)', () => {
    const doc = bucketToMongoDocument(bucket, 'n1')
    expect(fieldNames(doc).filter((k) => k.includes('.') || k.startsWith('$'))).toEqual([])
    expect(doc.rules).toEqual([
      { rule: 'ip.limit', admitted: 1, limited: 0 },
      { rule: '$weird', admitted: 0, limited: 1 },
    ])
    expect([doc.node, doc.nodeName, doc.start, doc.datetime]).toEqual(['node-a', 'n1', T0, new Date(T0)])
    expect(doc.totalQty).toBeUndefined() // minute documents carry no original fields
  })

  it("adds the original system's fields to hourly documents", () => {
    const doc = bucketToMongoDocument({ ...bucket, resolution: 'hour' }, 'n1')
    expect(doc).toMatchObject({ date: '2026-03-10', hour: 12, totalQty: 2, okQty: 1, ratelimitQty: 1, notfoundQty: 0, errorQty: 0 })
    expect(doc.durationAvg).toBeCloseTo(1.015, 10)
    expect(doc.latencyAvg).toBeCloseTo(0.515, 10)
  })

  it('aligns the query window to the resolution and sums outcomes in the server', () => {
    const [match, group] = clusterQueryPipeline({ from: T0 + 1234, to: T0 + 2 * HOUR_MS, resolution: 'hour' })
    expect(match).toEqual({ $match: { start: { $gte: T0, $lt: T0 + 2 * HOUR_MS } } })
    expect(group!.$group.outcome_limited429).toEqual({ $sum: '$outcomes.limited429' })
  })

  it('turns one grouped result (the shape $group yields) into a merged bucket', () => {
    const a = bucketToMongoDocument(bucket, 'n1')
    const b = bucketToMongoDocument({ ...bucket, node: 'node-b' }, 'n2')
    const group = {
      _id: T0,
      nodes: ['node-a', 'node-b'],
      total: 4,
      bytesIn: 400,
      bytesOut: 4000,
      outcome_ok2xx: 2,
      outcome_limited429: 2,
      latencyTotal: [a.latency.total, b.latency.total],
      latencyProxy: [a.latency.proxy, b.latency.proxy],
      rules: [a.rules, b.rules],
      topLimited: [a.topLimited, b.topLimited],
      statuses: [a.statuses, b.statuses],
    }
    const m = groupToBucket(group, 'minute', 100)
    expect(m.node).toBe(MERGED_NODE)
    expect(m.outcomes).toMatchObject({ ok2xx: 2, limited429: 2, upstreamError: 0 })
    expect(m.latency.total.count).toBe(4)
    expect(m.rules).toEqual({ 'ip.limit': { admitted: 2, limited: 0 }, $weird: { admitted: 0, limited: 2 } })
    expect(m.topLimited).toEqual([{ rule: '$weird', key: 'ip=1.2.3.4', count: 2, error: 0 }])
    expect(m.statuses).toEqual({ 200: 2, 429: 2 })
  })
})
