import { describe, expect, it } from 'vitest'
import { bucketIndexAt, isolatedIndices, latestActiveIndex, maxStackedTotal } from '../src/lib/chart-series.js'

describe('chart series helpers', () => {
  it('rests the legend on the newest bucket with traffic, not on trailing zeros or gaps', () => {
    expect(latestActiveIndex([[0, 5, 0, 0], [null, 1, 2, null]])).toBe(2)
    expect(latestActiveIndex([[0, 0, 3]])).toBe(2)
    expect(latestActiveIndex([[0, 0], [null, null]])).toBeNull()
    expect(latestActiveIndex([])).toBeNull()
  })

  it('finds the values a line cannot show: one bucket between gaps, or at an edge next to a gap', () => {
    expect(isolatedIndices([null, 4, null, 5, 6, null, 7])).toEqual([1, 6])
    expect(isolatedIndices([3])).toEqual([0])
    expect(isolatedIndices([3, null])).toEqual([0])
    expect(isolatedIndices([3, 4])).toEqual([])
    expect(isolatedIndices([0, null, 0])).toEqual([0, 2])
  })

  it('sizes a stacked chart on the tallest stack, not the tallest layer', () => {
    expect(maxStackedTotal([[10, 181, 0], [0, 2, 0], [1, 12, null]])).toBe(195)
    expect(maxStackedTotal([])).toBe(0)
  })

  it('maps a pointer position to the bucket that holds it, clamped to the chart', () => {
    expect(bucketIndexAt(120, 120, 60, 5)).toBe(0)
    expect(bucketIndexAt(179.9, 120, 60, 5)).toBe(0)
    expect(bucketIndexAt(180, 120, 60, 5)).toBe(1)
    expect(bucketIndexAt(10_000, 120, 60, 5)).toBe(4)
    expect(bucketIndexAt(0, 120, 60, 5)).toBe(0)
    expect(bucketIndexAt(150, 120, 60, 0)).toBeNull()
  })
})
