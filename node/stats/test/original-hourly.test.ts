import { describe, expect, it } from 'vitest'
import { toOriginalHourly } from '../original-hourly.js'
import { bucketOf, s } from './sample-buckets.js'

describe('toOriginalHourly', () => {
  it('maps outcomes and means onto the original fields (ms, UTC date and hour)', () => {
    const start = Date.UTC(2026, 0, 31, 23, 0, 0)
    const b = {
      ...bucketOf('n1', start, [
        s('ok2xx', 200, 2000, 1500),
        s('ok2xx', 201, 4000, 3000),
        s('redirect3xx', 301, 1000, 900),
        s('limited429', 429, 100, 0),
        s('notFound404', 404, 1000, 800),
        s('clientError4xx', 429, 1000, 900), // an upstream 429 is another 4xx, not ours
        s('serverError5xx', 503, 1000, 950),
        s('upstreamError', 504, 5000, 5000),
      ]),
      resolution: 'hour' as const,
    }
    const o = toOriginalHourly(b)
    expect(o).toEqual({
      datetime: new Date('2026-01-31T23:00:00.000Z'),
      date: '2026-01-31',
      hour: 23,
      totalQty: 8,
      okQty: 2,
      ratelimitQty: 1,
      notfoundQty: 2,
      errorQty: 3,
      durationAvg: 15_100 / 8 / 1000,
      latencyAvg: (500 + 1000 + 100 + 100 + 200 + 100 + 50 + 0) / 8 / 1000,
    })
    expect(o.okQty + o.ratelimitQty + o.notfoundQty + o.errorQty).toBe(o.totalQty)
  })

  it('reports zero averages for an hour without requests', () => {
    const o = toOriginalHourly({ ...bucketOf('n1', Date.UTC(2026, 0, 1), []), resolution: 'hour' })
    expect([o.totalQty, o.durationAvg, o.latencyAvg, o.hour, o.date]).toEqual([0, 0, 0, 0, '2026-01-01'])
  })
})
