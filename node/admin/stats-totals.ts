// Monotonic totals since this process started (requests by outcome, bytes, rule decisions, latency bins), built at
// scrape time from the statistics the node keeps anyway, so the hot path pays nothing for /metrics.
//
//   totals(now) = Σ closed minutes since start (read back from LMDB once each) + the minute in progress (in memory)
//                 − what the minute in progress already held when this process started (a restart continues it)
//
// A minute is read back once, when a refresh first sees that the minute in progress moved past it; its stored
// record is final by then (NodeStats closes it before it starts the next one, and query() waits for that write).
// Minutes older than the stats minute retention (48 h by default) between two refreshes would be missed: scrapes
// come every few seconds.
import { HISTOGRAM_BIN_COUNT } from '../stats/histogram.js'
import { MINUTE_MS, OUTCOMES, type HistogramData, type Outcome, type StatsBucket, type StatsQuery } from '../stats/index.js'

/** The part of NodeStats these totals read. */
export interface StatsSource {
  live(): { minute: StatsBucket }
  query(q: StatsQuery): Promise<StatsBucket[]>
}

/** Counts of a latency histogram's bins, summed (µs values, bins as in node/stats/histogram.ts). */
export class BinTotals {
  readonly counts = new Float64Array(HISTOGRAM_BIN_COUNT)
  count = 0
  /** µs */
  sum = 0

  add(h: HistogramData, sign: number): void {
    if (h.count === 0) return
    const bins = h.bins
    for (let i = 0; i + 1 < bins.length; i += 2) {
      const index = bins[i]!
      if (index >= 0 && index < HISTOGRAM_BIN_COUNT) this.counts[index]! += sign * bins[i + 1]!
    }
    this.count += sign * h.count
    this.sum += sign * h.sum
  }

  copyFrom(other: BinTotals): void {
    this.counts.set(other.counts)
    this.count = other.count
    this.sum = other.sum
  }
}

export class Totals {
  readonly outcomes = new Map<Outcome, number>(OUTCOMES.map((o) => [o, 0]))
  bytesIn = 0
  bytesOut = 0
  /** rule id → [admitted, limited] */
  readonly rules = new Map<string, [number, number]>()
  readonly latencyTotal = new BinTotals()
  readonly latencyProxy = new BinTotals()

  add(b: StatsBucket, sign: number): void {
    for (const o of OUTCOMES) this.outcomes.set(o, this.outcomes.get(o)! + sign * b.outcomes[o])
    this.bytesIn += sign * b.bytesIn
    this.bytesOut += sign * b.bytesOut
    for (const id of Object.keys(b.rules)) {
      const c = b.rules[id]!
      const acc = this.rules.get(id)
      if (acc === undefined) this.rules.set(id, [sign * c.admitted, sign * c.limited])
      else {
        acc[0] += sign * c.admitted
        acc[1] += sign * c.limited
      }
    }
    this.latencyTotal.add(b.latency.total, sign)
    this.latencyProxy.add(b.latency.proxy, sign)
  }

  copyFrom(other: Totals): void {
    for (const [o, n] of other.outcomes) this.outcomes.set(o, n)
    this.bytesIn = other.bytesIn
    this.bytesOut = other.bytesOut
    this.rules.clear()
    for (const [id, c] of other.rules) this.rules.set(id, [c[0], c[1]])
    this.latencyTotal.copyFrom(other.latencyTotal)
    this.latencyProxy.copyFrom(other.latencyProxy)
  }
}

export class StatsTotals {
  /** Closed minutes since start, less the start minute's initial counts. */
  private readonly base = new Totals()
  /** base + the minute in progress, as of the last refresh(). */
  readonly current = new Totals()
  private minuteStart: number
  private running: Promise<Totals> | null = null
  private readonly stats: StatsSource

  constructor(stats: StatsSource) {
    this.stats = stats
    const minute = stats.live().minute
    this.base.add(minute, -1)
    this.minuteStart = minute.start
    this.current.copyFrom(this.base)
    this.current.add(minute, 1)
  }

  /** Brings `current` up to date; concurrent callers share one refresh. */
  refresh(): Promise<Totals> {
    if (this.running === null) {
      this.running = this.update().finally(() => {
        this.running = null
      })
    }
    return this.running
  }

  private async update(): Promise<Totals> {
    for (;;) {
      const minute = this.stats.live().minute
      if (minute.start <= this.minuteStart) {
        this.current.copyFrom(this.base)
        this.current.add(minute, 1)
        return this.current
      }
      const closed = await this.stats.query({ from: this.minuteStart, to: minute.start, resolution: 'minute' })
      for (const b of closed) {
        if (b.start >= this.minuteStart && b.start < minute.start && b.start % MINUTE_MS === 0) this.base.add(b, 1)
      }
      this.minuteStart = minute.start
    }
  }
}
