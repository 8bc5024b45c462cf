import { describe, expect, it } from 'vitest'
import type { StatsBucket, StatsResponse } from '../src/lib/api-types.js'
import { groupOutcomes, trafficSeries } from '../src/lib/traffic-series.js'

const MINUTE = 60_000
const T0 = Date.UTC(2025, 10, 27, 12, 0)

function bucket(start: number, ok: number, limited: number, p50: number | null): StatsBucket {
  return {
    start,
    total: ok + limited,
    outcomes: { ok2xx: ok, redirect3xx: 0, limited429: limited, notFound404: 0, clientError4xx: 0, serverError5xx: 0, upstreamError: 0 },
    bytesIn: 10,
    bytesOut: 100,
    latency: p50 === null ? null : { total: { mean: p50, p50, p90: p50, p99: p50 * 2 }, proxy: { mean: 0.1, p50: 0.1, p90: 0.2, p99: 0.3 } },
    rules: {},
  }
}

function response(series: StatsResponse['series']): StatsResponse {
  return { resolution: 'minute', from: T0, to: T0 + 5 * MINUTE, nodes: ['n1', 'n2'], missing: [], series }
}

describe('traffic series', () => {
  it('groups outcomes into ok, limited, not found and errors', () => {
    expect(
      groupOutcomes({ ok2xx: 10, redirect3xx: 2, limited429: 3, notFound404: 4, clientError4xx: 5, serverError5xx: 6, upstreamError: 7 }),
    ).toEqual({ ok: 12, limited: 3, notFound: 4, errors: 18 })
  })

  it('fills missing buckets with zero requests and no latency', () => {
    const s = trafficSeries(response([{ node: 'merged', buckets: [bucket(T0 + MINUTE, 50, 5, 2), bucket(T0 + 3 * MINUTE, 10, 0, 1)] }]), 'merged')
    expect(s.x).toEqual([0, 1, 2, 3, 4].map((i) => (T0 + i * MINUTE) / 1000))
    expect(s.requests.ok).toEqual([0, 50, 0, 10, 0])
    expect(s.requests.limited).toEqual([0, 5, 0, 0, 0])
    expect(s.latency.totalP50).toEqual([null, 2, null, 1, null])
    expect(s.latency.totalP99).toEqual([null, 4, null, 2, null])
    expect(s.totals).toEqual({ requests: 65, ok: 60, limited: 5, notFound: 0, errors: 0, bytesIn: 20, bytesOut: 200 })
    expect(s.activeBuckets).toBe(2)
  })

  it("picks the chosen node's series and ignores buckets outside the range", () => {
    const r = response([
      { node: 'n1', buckets: [bucket(T0, 1, 0, 1)] },
      { node: 'n2', buckets: [bucket(T0, 7, 1, 1), bucket(T0 + 10 * MINUTE, 1000, 0, 1)] },
    ])
    expect(trafficSeries(r, 'n2').totals.requests).toBe(8)
    expect(trafficSeries(r, 'n1').totals.requests).toBe(1)
    expect(trafficSeries(r, 'merged').totals.requests).toBe(0)
  })

  it('treats a bucket without requests as having no latency', () => {
    const s = trafficSeries(response([{ node: 'merged', buckets: [bucket(T0, 0, 0, 5)] }]), 'merged')
    expect(s.latency.totalP50[0]).toBeNull()
  })
})
