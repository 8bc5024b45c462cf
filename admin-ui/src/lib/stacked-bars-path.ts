// A uPlot path builder for stacked bars over time buckets. uPlot's own bars start every series at one baseline; here
// series k of a bucket is drawn from the sum of series 1..k-1 to that sum plus its own value, so the chart's data
// stays the raw counts (the legend and the cursor read real values) and only the drawing is stacked. A bar covers
// its whole bucket [start, start + step), less a small gap, so a single busy minute is a visible block rather than a
// line that has nowhere to go. The y scale must be ranged on the stacked totals (maxStackedTotal), not per series.
import uPlot from 'uplot'

/** `stepSeconds`: bucket length on the x scale (seconds); `gapPx`: CSS pixels left blank between two bars. */
export function stackedBarsPath(stepSeconds: number, gapPx = 1): uPlot.Series.PathBuilder {
  return (u, seriesIdx, idx0, idx1) => {
    const xs = u.data[0]
    const own = u.data[seriesIdx]
    const fill = new Path2D()
    if (own === undefined) return { stroke: null, fill: null, clip: null, flags: 0 }
    const gap = gapPx * uPlot.pxRatio
    for (let i = idx0; i <= idx1; i++) {
      const value = own[i]
      if (value == null || value <= 0) continue
      let base = 0
      for (let s = 1; s < seriesIdx; s++) base += u.data[s]?.[i] ?? 0
      const x = xs[i]!
      const left = u.valToPos(x, 'x', true)
      const right = u.valToPos(x + stepSeconds, 'x', true)
      const bottom = u.valToPos(base, 'y', true)
      const top = u.valToPos(base + value, 'y', true)
      const inset = Math.min(gap, (right - left) / 4)
      fill.rect(left + inset / 2, top, Math.max(1, right - left - inset), bottom - top)
    }
    return { stroke: null, fill, clip: null, flags: 0 }
  }
}
