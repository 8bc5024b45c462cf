import { describe, expect, it } from 'vitest'
import { MinuteAccumulator } from '../../stats/minute-accumulator.js'
import { MINUTE_MS, type StatsBucket, type StatsQuery } from '../../stats/index.js'
import { StatsTotals, type StatsSource } from '../stats-totals.js'

const T0 = 1_764_201_600_000

/** A NodeStats stand-in: an in-progress minute that can be recorded into and rolled over, closed minutes stored. */
class FakeStats implements StatsSource {
  acc = new MinuteAccumulator(T0, 100)
  stored: StatsBucket[] = []
  queries: StatsQuery[] = []

  record(n: number, outcome: 'ok2xx' | 'limited429' = 'ok2xx', micros = 1500): void {
    for (let i = 0; i < n; i++) {
      this.acc.record(outcome, outcome === 'ok2xx' ? 200 : 429, 5, 50, micros, 1000)
      this.acc.recordRule('r', outcome === 'ok2xx')
    }
  }

  rollTo(start: number): void {
    if (!this.acc.isEmpty()) this.stored.push(this.acc.toBucket('me'))
    this.acc.reset(start)
  }

  live(): { minute: StatsBucket } {
    return { minute: this.acc.toBucket('me') }
  }

  async query(q: StatsQuery): Promise<StatsBucket[]> {
    this.queries.push(q)
    return this.stored.filter((b) => b.start >= q.from && b.start < q.to)
  }
}

describe('StatsTotals', () => {
  it('counts from process start: closed minutes once each, the minute in progress live', async () => {
    const stats = new FakeStats()
    stats.record(7) // before this process: a restart continued the minute with these
    const totals = new StatsTotals(stats)
    expect((await totals.refresh()).outcomes.get('ok2xx')).toBe(0)

    stats.record(3)
    stats.record(2, 'limited429')
    let t = await totals.refresh()
    expect(t.outcomes.get('ok2xx')).toBe(3)
    expect(t.outcomes.get('limited429')).toBe(2)
    expect(t.rules.get('r')).toEqual([3, 2])
    expect(t.latencyTotal.count).toBe(5)
    expect(t.bytesOut).toBe(250)

    // Requests after the last scrape, then the minute closes and two more minutes pass.
    stats.record(4)
    stats.rollTo(T0 + MINUTE_MS)
    stats.record(1)
    stats.rollTo(T0 + 2 * MINUTE_MS)
    stats.record(6)
    t = await totals.refresh()
    expect(t.outcomes.get('ok2xx')).toBe(3 + 4 + 1 + 6)
    expect(t.latencyTotal.count).toBe(16)
    expect(t.latencyTotal.sum).toBeCloseTo(16 * 1500)
    expect(stats.queries).toEqual([{ from: T0, to: T0 + 2 * MINUTE_MS, resolution: 'minute' }])

    // Nothing is read twice.
    t = await totals.refresh()
    expect(t.outcomes.get('ok2xx')).toBe(14)
    expect(stats.queries).toHaveLength(1)
  })

  it('shares one refresh between concurrent scrapes', async () => {
    const stats = new FakeStats()
    const totals = new StatsTotals(stats)
    stats.record(2)
    stats.rollTo(T0 + MINUTE_MS)
    const [a, b] = await Promise.all([totals.refresh(), totals.refresh()])
    expect(a).toBe(b)
    expect(a.outcomes.get('ok2xx')).toBe(2)
    expect(stats.queries).toHaveLength(1)
  })
})
