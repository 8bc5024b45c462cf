import { describe, expect, it } from 'vitest'
import { AdminClient } from '../src/lib/api.js'
import {
  bucketStarts,
  MAX_BUCKETS,
  normalizeSelection,
  RANGES,
  statsQuery,
  statsSearchParams,
} from '../src/lib/time-range.js'
import { createFakeApi } from './fixtures/fake-api.js'

// 2025-11-27 12:34:56.789 UTC
const NOW = Date.UTC(2025, 10, 27, 12, 34, 56, 789)
const MINUTE = 60_000
const HOUR = 3_600_000

describe('range selection → stats query', () => {
  it('last hour: minute buckets ending with the current minute', () => {
    const q = statsQuery({ range: 'hour', resolution: 'minute', node: 'merged' }, NOW)
    expect(q.to).toBe(Date.UTC(2025, 10, 27, 12, 35))
    expect(q.from).toBe(Date.UTC(2025, 10, 27, 11, 35))
    expect(q.resolution).toBe('minute')
    expect(bucketStarts(q)).toHaveLength(60)
    expect(bucketStarts(q).at(-1)).toBe(Date.UTC(2025, 10, 27, 12, 34))
  })

  it('last day: minute or hour buckets', () => {
    const minutes = statsQuery({ range: 'day', resolution: 'minute', node: 'merged' }, NOW)
    expect(minutes.to - minutes.from).toBe(24 * HOUR)
    expect(bucketStarts(minutes)).toHaveLength(1440)
    const hours = statsQuery({ range: 'day', resolution: 'hour', node: 'n2' }, NOW)
    expect(hours.to).toBe(Date.UTC(2025, 10, 27, 13))
    expect(hours.from).toBe(Date.UTC(2025, 10, 26, 13))
    expect(bucketStarts(hours)).toHaveLength(24)
  })

  it('last week: hour buckets, within the API limit', () => {
    const q = statsQuery({ range: 'week', resolution: 'hour', node: 'merged' }, NOW)
    expect(q.to - q.from).toBe(7 * 24 * HOUR)
    expect(bucketStarts(q)).toHaveLength(168)
  })

  it('never asks for more buckets than the API answers', () => {
    for (const range of RANGES) {
      for (const resolution of range.resolutions) {
        expect(bucketStarts(statsQuery({ range: range.id, resolution, node: 'merged' }, NOW)).length).toBeLessThanOrEqual(
          MAX_BUCKETS,
        )
      }
    }
  })

  it('refuses a resolution the range does not offer', () => {
    expect(() => statsQuery({ range: 'week', resolution: 'minute', node: 'merged' }, NOW)).toThrow(RangeError)
  })

  it('normalizes a stale selection: resolution to the range default, a departed node to merged', () => {
    expect(normalizeSelection({ range: 'week', resolution: 'minute', node: 'n2' }, ['n1', 'n2'])).toEqual({
      range: 'week',
      resolution: 'hour',
      node: 'n2',
    })
    expect(normalizeSelection({ range: 'hour', resolution: 'hour', node: 'gone' }, ['n1'])).toEqual({
      range: 'hour',
      resolution: 'minute',
      node: 'merged',
    })
  })

  it('writes the query string the API documents', () => {
    const params = statsSearchParams(statsQuery({ range: 'hour', resolution: 'minute', node: 'n3' }, NOW))
    expect(Object.fromEntries(params)).toEqual({
      from: String(Date.UTC(2025, 10, 27, 11, 35)),
      to: String(Date.UTC(2025, 10, 27, 12, 35)),
      resolution: 'minute',
      node: 'n3',
    })
  })

  it('is what the client requests', async () => {
    const api = createFakeApi()
    const client = new AdminClient({ fetch: api.fetch, token: () => null })
    await client.stats(statsQuery({ range: 'day', resolution: 'hour', node: 'merged' }, NOW))
    const url = api.calls[0]!.url
    expect(url.pathname).toBe('/api/v1/stats')
    expect(url.searchParams.get('resolution')).toBe('hour')
    expect(url.searchParams.get('node')).toBe('merged')
    expect(Number(url.searchParams.get('to')) - Number(url.searchParams.get('from'))).toBe(24 * HOUR)
  })

  it('lists bucket starts aligned to the resolution even for an unaligned range', () => {
    expect(bucketStarts({ from: 90_000, to: 5 * MINUTE, resolution: 'minute' })).toEqual([2, 3, 4].map((m) => m * MINUTE))
  })
})
