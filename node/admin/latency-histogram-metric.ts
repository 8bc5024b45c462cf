// A Prometheus histogram whose buckets are read from the statistics' latency bins at scrape time instead of being
// observed per request (prom-client's Histogram only supports observe()). Each stats bin counts under the first
// `le` bound at or above its midpoint — the same point percentile() answers with — so a bucket boundary is off by
// at most half a bin (1/64 of the value).
import { Histogram } from 'prom-client'
import { binLowerBound, binWidth, HISTOGRAM_BIN_COUNT } from '../stats/histogram.js'
import type { BinTotals } from './stats-totals.js'

/** Upper bounds in seconds: 100 µs … 60 s. */
export const LATENCY_BOUNDS_S: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/** For each stats bin, the index of the first bound at or above its midpoint (LATENCY_BOUNDS_S.length: +Inf only). */
const BOUND_OF_BIN: Uint8Array = (() => {
  const out = new Uint8Array(HISTOGRAM_BIN_COUNT)
  for (let i = 0; i < HISTOGRAM_BIN_COUNT; i++) {
    const midMicros = binLowerBound(i) + (binWidth(i) - 1) / 2
    let b = 0
    while (b < LATENCY_BOUNDS_S.length && midMicros > LATENCY_BOUNDS_S[b]! * 1e6) b++
    out[i] = b
  }
  return out
})()

type Exported = Awaited<ReturnType<Histogram<string>['get']>>
type ExportedValue = Exported['values'][number]

export interface LatencySeries {
  labels: Record<string, string>
  bins: BinTotals
}

export interface BinnedHistogramConfig {
  name: string
  help: string
  labelNames: readonly string[]
  /** Called at every scrape; returns the series to export. */
  read: () => readonly LatencySeries[]
}

export class BinnedLatencyHistogram extends Histogram<string> {
  private readonly read: () => readonly LatencySeries[]
  private readonly metricName: string
  private readonly helpText: string

  constructor(config: BinnedHistogramConfig) {
    super({ name: config.name, help: config.help, labelNames: config.labelNames, buckets: [...LATENCY_BOUNDS_S], registers: [] })
    this.read = config.read
    this.metricName = config.name
    this.helpText = config.help
  }

  override async get(): Promise<Exported> {
    return this.getForPromString()
  }

  /** What prom-client's registry calls to render the text format. */
  async getForPromString(): Promise<Exported> {
    const values: ExportedValue[] = []
    const name = this.metricName
    const bucketName = `${name}_bucket`
    const perBound = new Float64Array(LATENCY_BOUNDS_S.length + 1)
    for (const series of this.read()) {
      perBound.fill(0)
      const counts = series.bins.counts
      for (let i = 0; i < counts.length; i++) {
        const c = counts[i]!
        if (c !== 0) perBound[BOUND_OF_BIN[i]!]! += c
      }
      let cumulative = 0
      for (let b = 0; b < LATENCY_BOUNDS_S.length; b++) {
        cumulative += perBound[b]!
        values.push({ labels: { ...series.labels, le: LATENCY_BOUNDS_S[b]! }, value: cumulative, metricName: bucketName })
      }
      values.push({ labels: { ...series.labels, le: '+Inf' }, value: series.bins.count, metricName: bucketName })
      values.push({ labels: { ...series.labels }, value: series.bins.sum / 1e6, metricName: `${name}_sum` })
      values.push({ labels: { ...series.labels }, value: series.bins.count, metricName: `${name}_count` })
    }
    // prom-client's typings declare `type` as a numeric enum; at run time (and in the text format) it is the string.
    return { name, help: this.helpText, type: 'histogram' as unknown as Exported['type'], values, aggregator: 'sum', collect: () => {} }
  }
}
