/** One line of a TimeSeriesChart. */
export interface ChartSeries {
  label: string
  /** CSS colour as #rrggbb (a translucent fill is derived from it). */
  color: string
  values: readonly (number | null)[]
  dash?: number[]
  fill?: boolean
}
