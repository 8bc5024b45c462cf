import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  binIndex,
  binLowerBound,
  binWidth,
  HISTOGRAM_BIN_COUNT,
  HISTOGRAM_MAX_TRACKABLE_MICROS,
  HISTOGRAM_RELATIVE_ERROR,
  HistogramRecorder,
  mean,
  mergeHistogram,
  percentile,
} from '../histogram.js'

function exactPercentile(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!
}

// Seeded PRNG (mulberry32) so a failure can be replayed.
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('histogram layout', () => {
  it('covers 1 µs to 60 s with 704 bins, each value inside its own bin', () => {
    expect(HISTOGRAM_BIN_COUNT).toBe(704)
    expect(HISTOGRAM_MAX_TRACKABLE_MICROS).toBeGreaterThan(60_000_000)
    fc.assert(
      fc.property(fc.integer({ min: 0, max: HISTOGRAM_MAX_TRACKABLE_MICROS - 1 }), (v) => {
        const i = binIndex(v)
        expect(binLowerBound(i)).toBeLessThanOrEqual(v)
        expect(v).toBeLessThan(binLowerBound(i) + binWidth(i))
        expect(binWidth(i) / binLowerBound(i || 1)).toBeLessThanOrEqual(i < 64 ? 1 : 1 / 32)
      }),
    )
  })

  it('bins are contiguous: each starts where the previous ends', () => {
    for (let i = 1; i < HISTOGRAM_BIN_COUNT; i++) {
      expect(binLowerBound(i)).toBe(binLowerBound(i - 1) + binWidth(i - 1))
    }
    expect(binLowerBound(HISTOGRAM_BIN_COUNT - 1) + binWidth(HISTOGRAM_BIN_COUNT - 1)).toBe(HISTOGRAM_MAX_TRACKABLE_MICROS)
  })

  it('clamps NaN and negatives to 0 and values past 67 s to the last bin, keeping max exact', () => {
    const h = new HistogramRecorder()
    h.record(Number.NaN)
    h.record(-5)
    h.record(120_000_000)
    const d = h.toData()
    expect(d.bins).toEqual([0, 2, HISTOGRAM_BIN_COUNT - 1, 1])
    expect(d.min).toBe(0)
    expect(d.max).toBe(120_000_000)
    expect(d.sum).toBe(120_000_000)
    expect(percentile(d, 1)).toBe(120_000_000)
  })
})

describe('percentile and mean', () => {
  it(`stays within ${(HISTOGRAM_RELATIVE_ERROR * 100).toFixed(2)} % of the exact sample at each rank (log-normal latencies)`, () => {
    const seed = 20260310
    const random = rng(seed)
    const values: number[] = []
    const h = new HistogramRecorder()
    for (let i = 0; i < 50_000; i++) {
      // log-normal around ~2 ms, spread over four decades
      const u1 = random() || 1e-12
      const u2 = random()
      const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
      const v = Math.round(Math.exp(7.6 + 1.8 * z))
      values.push(v)
      h.record(v)
    }
    values.sort((a, b) => a - b)
    const d = h.toData()
    for (const q of [0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999]) {
      const exact = exactPercentile(values, q)
      const got = percentile(d, q)
      if (exact < 64) expect(got, `q=${q} seed=${seed}`).toBe(exact)
      else expect(Math.abs(got - exact) / exact, `q=${q} exact=${exact} got=${got} seed=${seed}`).toBeLessThanOrEqual(HISTOGRAM_RELATIVE_ERROR)
    }
    expect(percentile(d, 0)).toBe(values[0])
    expect(percentile(d, 1)).toBe(values[values.length - 1])
    expect(mean(d)).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6)
  })

  it('holds the error bound for any set of integer samples', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 60_000_000 }), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        (samples, q) => {
          const h = new HistogramRecorder()
          for (const s of samples) h.record(s)
          const sorted = [...samples].sort((a, b) => a - b)
          const exact = exactPercentile(sorted, q)
          const got = percentile(h.toData(), q)
          if (exact < 64) return got === exact
          return Math.abs(got - exact) / exact <= HISTOGRAM_RELATIVE_ERROR
        },
      ),
    )
  })

  it('is exact below 64 µs and 0 for an empty histogram', () => {
    const h = new HistogramRecorder()
    expect(percentile(h.toData(), 0.5)).toBe(0)
    expect(mean(h.toData())).toBe(0)
    for (const v of [3, 3, 10, 40, 63]) h.record(v)
    expect(percentile(h.toData(), 0.5)).toBe(10)
    expect(percentile(h.toData(), 0.8)).toBe(40)
    expect(mean(h.toData())).toBe(119 / 5)
  })
})

describe('mergeHistogram', () => {
  it('equals recording both streams into one histogram', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 70_000_000 }), { maxLength: 200 }),
        fc.array(fc.integer({ min: 0, max: 70_000_000 }), { maxLength: 200 }),
        (xs, ys) => {
          const a = new HistogramRecorder()
          const b = new HistogramRecorder()
          const both = new HistogramRecorder()
          for (const x of xs) (a.record(x), both.record(x))
          for (const y of ys) (b.record(y), both.record(y))
          const ad = a.toData()
          const bd = b.toData()
          const merged = mergeHistogram(ad, bd)
          expect(merged).toEqual(both.toData())
          expect(mergeHistogram(bd, ad)).toEqual(merged)
          expect(ad).toEqual(a.toData()) // inputs unchanged
        },
      ),
    )
  })
})
