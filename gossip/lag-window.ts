// Delta propagation latency of one member: the most recent samples in a fixed ring (no allocation per sample);
// percentiles are computed on demand by sorting a copy, which only the admin API and metrics scrapes ask for.

export interface LagPercentiles { p50: number; p99: number }

export class LagWindow {
  private readonly samples: Float64Array
  private next = 0
  private count = 0

  constructor(capacity: number) {
    this.samples = new Float64Array(capacity)
  }

  /** Records one latency in ms. Negative values (clock skew between hosts) are kept as 0. */
  record(ms: number): void {
    this.samples[this.next] = ms > 0 ? ms : 0
    this.next = this.next + 1 === this.samples.length ? 0 : this.next + 1
    if (this.count < this.samples.length) this.count++
  }

  /** Nearest-rank p50 and p99 of the samples held, or null before the first. */
  percentiles(): LagPercentiles | null {
    if (this.count === 0) return null
    const sorted = this.samples.slice(0, this.count).sort()
    return { p50: rank(sorted, 0.5), p99: rank(sorted, 0.99) }
  }
}

function rank(sorted: Float64Array, q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[index] as number
}
