// What a TimeSeriesChart draws, and the small computations on it that do not need a canvas: which bucket the legend
// shows when the pointer is elsewhere, which values sit alone between gaps (a line cannot show them, so they get a
// dot), and the stacked totals that set the height of a stacked bar chart.

/** One line (or one layer of stacked bars) of a TimeSeriesChart. */
export interface ChartSeries {
  label: string
  /** CSS colour as #rrggbb (a translucent fill is derived from it). */
  color: string
  values: readonly (number | null)[]
  dash?: number[]
  fill?: boolean
}

/** `lines`: one line per series, gaps where a value is null. `stacked-bars`: one bar per bucket, series stacked in order. */
export type ChartKind = 'lines' | 'stacked-bars'

type Values = readonly (number | null | undefined)[]

/** The newest index where any series has a value other than null or 0, or null when none has: what the legend shows at rest. */
export function latestActiveIndex(series: readonly Values[]): number | null {
  let length = 0
  for (const values of series) length = Math.max(length, values.length)
  for (let i = length - 1; i >= 0; i--) {
    for (const values of series) {
      const v = values[i]
      if (v != null && v !== 0) return i
    }
  }
  return null
}

/** Indices of values whose neighbours are both missing (null or out of range): a line through them draws nothing. */
export function isolatedIndices(values: Values): number[] {
  const found: number[] = []
  for (let i = 0; i < values.length; i++) {
    if (values[i] == null) continue
    if ((i === 0 || values[i - 1] == null) && (i === values.length - 1 || values[i + 1] == null)) found.push(i)
  }
  return found
}

/** The largest per-index sum over the series (nulls count as 0): the top of the tallest stacked bar. */
export function maxStackedTotal(series: readonly Values[]): number {
  let length = 0
  for (const values of series) length = Math.max(length, values.length)
  let max = 0
  for (let i = 0; i < length; i++) {
    let sum = 0
    for (const values of series) sum += values[i] ?? 0
    if (sum > max) max = sum
  }
  return max
}

/** The bucket holding time `x` when buckets of `step` start at `first`, clamped to [0, count - 1]; null when count is 0. */
export function bucketIndexAt(x: number, first: number, step: number, count: number): number | null {
  if (count === 0 || !(step > 0)) return null
  const i = Math.floor((x - first) / step)
  return Math.min(count - 1, Math.max(0, i))
}
