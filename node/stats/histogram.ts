// Fixed log-linear latency histogram (the HDR layout with 32 sub-buckets per power of two), in microseconds.
//
//   value v (µs, floored)         bin index                      bin width
//   0 … 63                        v                              1 µs (exact)
//   2^e … 2^(e+1)-1, e = 6…25     64 + (e-6)·32 + (v>>(e-5)) - 32   2^(e-5) µs
//   ≥ 2^26 µs (67.1 s)            703 (the last bin)             —
//
// A bin spans 1/32 of its lower bound at most, and percentile() answers with the bin's midpoint, so a reported
// percentile is within ±1/64 (1.6 %) of the true sample at that rank, or exact below 64 µs; values past 67 s
// clamp into the last bin (min and max stay exact). The index is two integer ops and a Math.clz32: no
// floating-point log on the hot path. Stored form (HistogramData) keeps only non-zero bins, as
// [index, count, index, count, …] in ascending index order, which is compact in msgpack and JSON.

export const HISTOGRAM_SUB_BUCKET_BITS = 5
const SUB_BUCKETS = 1 << HISTOGRAM_SUB_BUCKET_BITS // 32
const EXACT_LIMIT = SUB_BUCKETS * 2 // 64: below this every microsecond has its own bin
const FIRST_LOG_EXPONENT = HISTOGRAM_SUB_BUCKET_BITS + 1 // 6
/** Highest exponent with its own bins: 2^25 … 2^26-1 µs (33.5 s … 67.1 s). */
const LAST_LOG_EXPONENT = 25
/** Values at or above this many microseconds (67.1 s) land in the last bin. */
export const HISTOGRAM_MAX_TRACKABLE_MICROS = 2 ** (LAST_LOG_EXPONENT + 1)
export const HISTOGRAM_BIN_COUNT = EXACT_LIMIT + (LAST_LOG_EXPONENT - FIRST_LOG_EXPONENT + 1) * SUB_BUCKETS // 704
/** Worst relative error of percentile() for values ≥ 64 µs: half a bin over the bin's lower bound. */
export const HISTOGRAM_RELATIVE_ERROR = 1 / (2 * SUB_BUCKETS)

/** A histogram as stored and exchanged. `bins` holds [index, count] pairs of non-zero bins, ascending. */
export interface HistogramData {
  count: number
  /** Sum of recorded values (µs), exact: mean() is sum / count. */
  sum: number
  /** Smallest and largest recorded value (µs), exact; 0 when count is 0. */
  min: number
  max: number
  bins: number[]
}

export function emptyHistogram(): HistogramData {
  return { count: 0, sum: 0, min: 0, max: 0, bins: [] }
}

/** Bin of a value in microseconds; NaN and negatives go to bin 0, ≥ 67.1 s to the last bin. */
export function binIndex(micros: number): number {
  if (!(micros >= EXACT_LIMIT)) return micros >= 1 ? micros >>> 0 : 0
  if (micros >= HISTOGRAM_MAX_TRACKABLE_MICROS) return HISTOGRAM_BIN_COUNT - 1
  const v = micros >>> 0
  const exponent = 31 - Math.clz32(v)
  const shift = exponent - HISTOGRAM_SUB_BUCKET_BITS
  return EXACT_LIMIT + (exponent - FIRST_LOG_EXPONENT) * SUB_BUCKETS + (v >>> shift) - SUB_BUCKETS
}

/** Smallest value (µs) that falls in bin `index`. */
export function binLowerBound(index: number): number {
  if (index < EXACT_LIMIT) return index
  const offset = index - EXACT_LIMIT
  const exponent = FIRST_LOG_EXPONENT + Math.floor(offset / SUB_BUCKETS)
  const sub = (offset % SUB_BUCKETS) + SUB_BUCKETS
  return sub * 2 ** (exponent - HISTOGRAM_SUB_BUCKET_BITS)
}

/** Number of distinct integer values (µs) in bin `index`. */
export function binWidth(index: number): number {
  if (index < EXACT_LIMIT) return 1
  const exponent = FIRST_LOG_EXPONENT + Math.floor((index - EXACT_LIMIT) / SUB_BUCKETS)
  return 2 ** (exponent - HISTOGRAM_SUB_BUCKET_BITS)
}

/**
 * The in-memory recorder: one Float64Array of counts, so record() allocates nothing. Not for storage: call
 * toData() for the compact form.
 */
export class HistogramRecorder {
  readonly counts = new Float64Array(HISTOGRAM_BIN_COUNT)
  count = 0
  sum = 0
  min = 0
  max = 0

  record(micros: number): void {
    // NaN and negatives count as 0 so a caller's bad arithmetic cannot poison sum and mean.
    const v = micros > 0 ? micros : 0
    this.counts[binIndex(v)]!++
    if (this.count === 0) {
      this.min = v
      this.max = v
    } else if (v < this.min) this.min = v
    else if (v > this.max) this.max = v
    this.count++
    this.sum += v
  }

  reset(): void {
    if (this.count === 0) return
    this.counts.fill(0)
    this.count = 0
    this.sum = 0
    this.min = 0
    this.max = 0
  }

  /** Adds a stored histogram (used to continue a bucket after a restart). */
  add(data: HistogramData): void {
    if (data.count === 0) return
    const bins = data.bins
    for (let i = 0; i + 1 < bins.length; i += 2) this.counts[bins[i]!]! += bins[i + 1]!
    if (this.count === 0) {
      this.min = data.min
      this.max = data.max
    } else {
      if (data.min < this.min) this.min = data.min
      if (data.max > this.max) this.max = data.max
    }
    this.count += data.count
    this.sum += data.sum
  }

  toData(): HistogramData {
    const bins: number[] = []
    if (this.count > 0) {
      const counts = this.counts
      for (let i = 0; i < counts.length; i++) {
        const c = counts[i]!
        if (c !== 0) bins.push(i, c)
      }
    }
    return { count: this.count, sum: this.sum, min: this.min, max: this.max, bins }
  }
}

/**
 * The value at quantile q (0…1): the smallest recorded value such that at least q·count values are ≤ it,
 * answered as the midpoint of its bin and clamped to [min, max]. 0 for an empty histogram.
 */
export function percentile(h: HistogramData, q: number): number {
  if (h.count === 0) return 0
  if (!(q > 0)) return h.min
  if (q >= 1) return h.max
  const rank = Math.max(1, Math.ceil(q * h.count))
  let seen = 0
  const bins = h.bins
  for (let i = 0; i + 1 < bins.length; i += 2) {
    seen += bins[i + 1]!
    if (seen >= rank) {
      const index = bins[i]!
      const mid = binLowerBound(index) + (binWidth(index) - 1) / 2
      return mid < h.min ? h.min : mid > h.max ? h.max : mid
    }
  }
  return h.max
}

/** Exact mean of the recorded values (µs); 0 for an empty histogram. */
export function mean(h: HistogramData): number {
  return h.count === 0 ? 0 : h.sum / h.count
}

/** Sum of two histograms (a new object; neither input changes). */
export function mergeHistogram(a: HistogramData, b: HistogramData): HistogramData {
  if (b.count === 0) return copyHistogram(a)
  if (a.count === 0) return copyHistogram(b)
  const x = a.bins
  const y = b.bins
  const bins: number[] = []
  let i = 0
  let j = 0
  while (i < x.length && j < y.length) {
    const xi = x[i]!
    const yj = y[j]!
    if (xi === yj) {
      bins.push(xi, x[i + 1]! + y[j + 1]!)
      i += 2
      j += 2
    } else if (xi < yj) {
      bins.push(xi, x[i + 1]!)
      i += 2
    } else {
      bins.push(yj, y[j + 1]!)
      j += 2
    }
  }
  for (; i < x.length; i++) bins.push(x[i]!)
  for (; j < y.length; j++) bins.push(y[j]!)
  return {
    count: a.count + b.count,
    sum: a.sum + b.sum,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    bins,
  }
}

function copyHistogram(h: HistogramData): HistogramData {
  return { count: h.count, sum: h.sum, min: h.min, max: h.max, bins: h.bins.slice() }
}
