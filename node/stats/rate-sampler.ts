// Requests per second over the last few seconds without touching the clock per request: record() only bumps a
// running total; a 1 s timer (and live() itself) samples (time, total) into a small ring, and the rate is the
// total's growth since the oldest sample still inside the window, divided by the time since that sample.

export const LIVE_WINDOW_MS = 5000
const SLOTS = 8

export class RateSampler {
  private readonly times = new Float64Array(SLOTS)
  private readonly totals = new Float64Array(SLOTS)
  private count = 0
  private next = 0

  sample(now: number, total: number): void {
    this.times[this.next] = now
    this.totals[this.next] = total
    this.next = (this.next + 1) % SLOTS
    if (this.count < SLOTS) this.count++
  }

  /** { perSecond, windowMs } from the oldest sample at most LIVE_WINDOW_MS old (else the newest one). */
  rate(now: number, total: number): { perSecond: number; windowMs: number } {
    if (this.count === 0) return { perSecond: 0, windowMs: 0 }
    let best = -1
    let newest = -1
    for (let k = 0; k < this.count; k++) {
      const i = (this.next - 1 - k + SLOTS) % SLOTS
      if (newest === -1) newest = i
      if (now - this.times[i]! <= LIVE_WINDOW_MS) best = i
    }
    const i = best === -1 ? newest : best
    const windowMs = now - this.times[i]!
    if (windowMs <= 0) return { perSecond: 0, windowMs: 0 }
    return { perSecond: ((total - this.totals[i]!) * 1000) / windowMs, windowMs }
  }
}
