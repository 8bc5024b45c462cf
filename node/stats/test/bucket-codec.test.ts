import { pack } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { decodeBucket, encodeBucket } from '../bucket-codec.js'
import { StatsRecordCorruptError } from '../errors.js'
import { bucketOf, s } from './sample-buckets.js'
import { T0 } from './helpers.js'

describe('bucket codec', () => {
  it('round-trips a bucket with every part filled', () => {
    const b = bucketOf(
      '12D3KooWExamplePeerId',
      T0,
      [s('ok2xx', 200, 1234.5, 1000), s('serverError5xx', 500, 70_000_000, 1), s('upstreamError', 999, 5, 0)],
      [['rule.with.dots', true], ['$rule', false]],
      [['rule.with.dots', 'ip=1.2.3.4|path=/items/*']],
    )
    expect(decodeBucket(encodeBucket(b))).toEqual(b)
    expect(decodeBucket(encodeBucket({ ...b, resolution: 'hour' })).resolution).toBe('hour')
  })

  it('rejects corrupt records with a stable code', () => {
    const bad = [Buffer.from([0xc1]), pack([2]), pack({ a: 1 }), pack([1, 'n', 'x', 0, [], 0, 0, 0, [], [], [], [], []])]
    for (const bytes of bad) {
      let err: unknown
      try {
        decodeBucket(bytes)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(StatsRecordCorruptError)
      expect((err as StatsRecordCorruptError).code).toBe('MELIPROXY_ERR_STATS_RECORD_CORRUPT')
    }
  })
})
