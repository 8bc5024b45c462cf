import { describe, expect, it } from 'vitest'
import { mean, percentile } from '../histogram.js'
import { mergeBuckets } from '../merge-buckets.js'
import { HOUR_MS, MERGED_NODE, MINUTE_MS } from '../stats-bucket.js'
import { bucketOf, s } from './sample-buckets.js'
import { T0 } from './helpers.js'

describe('mergeBuckets', () => {
  it('sums the same minute across nodes and keeps other minutes apart, oldest first', () => {
    const n1a = bucketOf('n1', T0, [s('ok2xx', 200, 1000, 900), s('limited429', 429, 50, 0)], [['per-ip', true], ['per-ip', false]], [['per-ip', 'ip=1.1.1.1']])
    const n2a = bucketOf('n2', T0, [s('ok2xx', 200, 3000, 2000), s('upstreamError', 502, 100, 100, 10, 0)], [['per-ip', true], ['per-path', false]], [['per-ip', 'ip=1.1.1.1'], ['per-path', 'path=/x']])
    const n1b = bucketOf('n1', T0 + MINUTE_MS, [s('notFound404', 404, 500, 400)])
    const merged = mergeBuckets([n1b, n1a, n2a])
    expect(merged.map((b) => [b.start, b.node])).toEqual([
      [T0, MERGED_NODE],
      [T0 + MINUTE_MS, 'n1'],
    ])
    const m = merged[0]!
    expect(m.total).toBe(4)
    expect(m.outcomes).toEqual({ ok2xx: 2, redirect3xx: 0, limited429: 1, notFound404: 0, clientError4xx: 0, serverError5xx: 0, upstreamError: 1 })
    expect(m.bytesIn).toBe(310)
    expect(m.bytesOut).toBe(3000)
    expect(m.rules).toEqual({ 'per-ip': { admitted: 2, limited: 1 }, 'per-path': { admitted: 0, limited: 1 } })
    expect(m.topLimited).toEqual([
      { rule: 'per-ip', key: 'ip=1.1.1.1', count: 2, error: 0 },
      { rule: 'per-path', key: 'path=/x', count: 1, error: 0 },
    ])
    expect(m.statuses).toEqual({ 200: 2, 429: 1, 502: 1 })
    expect(m.latency.total.count).toBe(4)
    expect(mean(m.latency.total)).toBe((1000 + 50 + 3000 + 100) / 4)
    expect(mean(m.latency.proxy)).toBe((100 + 50 + 1000 + 0) / 4)
    expect(percentile(m.latency.total, 1)).toBe(3000)
    expect(n1a.total).toBe(2) // inputs unchanged
    expect(merged[1]).toEqual(n1b)
  })

  it('keeps minute and hour buckets with the same start apart', () => {
    const minute = bucketOf('n1', T0, [s('ok2xx', 200, 10, 5)])
    const hour = { ...bucketOf('n1', T0, [s('ok2xx', 200, 10, 5)]), resolution: 'hour' as const }
    const merged = mergeBuckets([hour, minute])
    expect(merged.map((b) => b.resolution)).toEqual(['minute', 'hour'])
    expect(merged.every((b) => b.total === 1)).toBe(true)
  })

  it('keeps only maxTopKeys heavy hitters', () => {
    const limited: Array<[string, string]> = []
    for (let i = 0; i < 30; i++) for (let j = 0; j <= i; j++) limited.push(['r', `k${i}`])
    const a = bucketOf('n1', T0 + HOUR_MS, [], [], limited)
    const b = bucketOf('n2', T0 + HOUR_MS, [], [], limited)
    const [m] = mergeBuckets([a, b], 5)
    expect(m!.topLimited.map((e) => [e.key, e.count])).toEqual([
      ['k29', 60],
      ['k28', 58],
      ['k27', 56],
      ['k26', 54],
      ['k25', 52],
    ])
  })
})
