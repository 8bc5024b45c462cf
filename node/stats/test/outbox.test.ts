// The outbox towards an external sink, with a fake of our own StatsSink interface (not of the MongoDB driver):
// buckets wait in LMDB until the sink acknowledges them, failures back off and retry, nothing is lost or
// duplicated, and the hot path never notices.
import { afterEach, describe, expect, it } from 'vitest'
import { NodeStats } from '../node-stats.js'
import { OutboxDrainer } from '../outbox-drainer.js'
import { MINUTE_MS, HOUR_MS, type StatsBucket } from '../stats-bucket.js'
import type { StatsOptions } from '../stats-options.js'
import type { StatsSink } from '../stats-sink.js'
import { StatsStore } from '../stats-store.js'
import { recordingLogger, RETENTION, T0, TestClock, tempDir, waitFor } from './helpers.js'

/** Upserts keyed like the MongoDB collections: (resolution, node, start). */
class FakeSink implements StatsSink {
  readonly docs = new Map<string, StatsBucket>()
  failures = 0
  writes = 0
  opens = 0
  closed = false
  /** While set, write() waits for it. */
  gate: Promise<void> | null = null

  async open(): Promise<void> {
    this.opens++
    if (this.failures > 0) {
      this.failures--
      throw new Error('connection refused (fake)')
    }
  }

  async write(minutes: StatsBucket[], hours: StatsBucket[]): Promise<void> {
    this.writes++
    if (this.gate !== null) await this.gate
    if (this.failures > 0) {
      this.failures--
      throw new Error('write failed (fake)')
    }
    for (const b of [...minutes, ...hours]) this.docs.set(`${b.resolution}:${b.node}:${b.start}`, b)
  }

  async close(): Promise<void> {
    this.closed = true
  }

  total(resolution: string): number {
    let n = 0
    for (const b of this.docs.values()) if (b.resolution === resolution) n += b.total
    return n
  }
}

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

function setup() {
  const tmp = tempDir()
  cleanups.push(() => tmp.remove())
  const clock = new TestClock(T0 + 1000)
  const logger = recordingLogger()
  const open = async (sink: StatsSink, more: Partial<StatsOptions> = {}) => {
    const s = await NodeStats.open({
      nodeId: 'node-a',
      nodeName: 'n1',
      dataDir: tmp.dir,
      retention: RETENTION,
      flushIntervalMs: 60_000,
      logger,
      now: clock.now,
      sink,
      sinkBackoffMs: { base: 5, max: 40 },
      ...more,
    })
    cleanups.push(() => s.close())
    return s
  }
  return { dir: tmp.dir, clock, logger, open }
}

async function closeMinutes(stats: NodeStats, clock: TestClock, perMinute: number[]): Promise<void> {
  for (const n of perMinute) {
    for (let i = 0; i < n; i++) stats.record('ok2xx', 200, 1, 1, 100, 50)
    clock.t += MINUTE_MS
    await stats.flush()
  }
}

describe('sink outbox', () => {
  it('retries with backoff while the sink is down and delivers every closed bucket once it is back', async () => {
    const { open, clock, logger } = setup()
    const sink = new FakeSink()
    sink.failures = 4
    const stats = await open(sink)
    await closeMinutes(stats, clock, [3, 5, 2])
    // record() kept counting while the sink failed
    expect((await stats.query({ from: T0, to: T0 + HOUR_MS, resolution: 'minute' })).map((b) => b.total)).toEqual([3, 5, 2])
    await waitFor(() => stats.live().sink!.pending === 0, 10_000, 'the outbox to drain')
    expect(sink.failures).toBe(0)
    expect(sink.total('minute')).toBe(10)
    expect([...sink.docs.keys()].sort()).toEqual(['hour:node-a:' + T0, 'minute:node-a:' + T0, 'minute:node-a:' + (T0 + MINUTE_MS), 'minute:node-a:' + (T0 + 2 * MINUTE_MS)])
    expect(sink.total('hour')).toBe(10) // the last version of the hour, not a sum of versions
    const status = stats.live().sink!
    expect(status.failures).toBe(0)
    expect(status.lastError).toBeNull()
    expect(logger.lines.some((l) => l.level === 'warn' && l.msg?.includes('stats sink write failed'))).toBe(true)
  })

  it('keeps undelivered buckets across a restart and delivers them later', async () => {
    const { open, clock } = setup()
    const down = new FakeSink()
    down.failures = Number.MAX_SAFE_INTEGER
    const first = await open(down)
    await closeMinutes(first, clock, [4, 6])
    await waitFor(() => down.opens >= 2, 10_000, 'a retry against the failing sink')
    expect(first.live().sink!.pending).toBe(3) // two minutes and their hour
    await first.close()
    expect(down.closed).toBe(true)

    const up = new FakeSink()
    const second = await open(up)
    await waitFor(() => second.live().sink!.pending === 0, 10_000, 'the outbox to drain after restart')
    expect(up.total('minute')).toBe(10)
    expect(up.total('hour')).toBe(10)
  })

  it('re-sends an hour that changed while its previous version was being written', async () => {
    const { open, clock } = setup()
    const sink = new FakeSink()
    let release!: () => void
    sink.gate = new Promise((r) => (release = r))
    const stats = await open(sink)
    await closeMinutes(stats, clock, [1])
    await waitFor(() => sink.writes === 1, 10_000, 'the first write to start')
    await closeMinutes(stats, clock, [2]) // the hour changes while write #1 (with the old hour) waits
    sink.gate = null
    release()
    await waitFor(() => stats.live().sink!.pending === 0, 10_000, 'the outbox to drain')
    expect(sink.total('hour')).toBe(3)
    expect(sink.total('minute')).toBe(3)
  })

  it('treats an unacknowledged write as failed after the timeout, and stop() stays bounded', async () => {
    const tmp = tempDir()
    cleanups.push(() => tmp.remove())
    const logger = recordingLogger()
    const store = StatsStore.open({ dataDir: tmp.dir, maxTopKeys: 10, outbox: true, logger })
    cleanups.push(() => store.close())
    const b: StatsBucket = (await import('./sample-buckets.js')).bucketOf('node-a', T0, [])
    await store.closeMinute({ ...b, total: 1 })
    const sink = new FakeSink()
    sink.gate = new Promise(() => {}) // never acknowledges
    const drainer = new OutboxDrainer({ store, sink, logger, backoffMs: { base: 10_000, max: 10_000 }, batchSize: 10, writeTimeoutMs: 50 })
    drainer.kick()
    await waitFor(() => drainer.status().failures === 1, 10_000, 'the write timeout')
    expect(drainer.status().lastError).toMatch(/within 50 ms/)
    expect(drainer.status().pending).toBe(2)
    const started = Date.now()
    await drainer.stop()
    expect(sink.closed).toBe(true)
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('drops outbox entries whose bucket retention already deleted', async () => {
    const tmp = tempDir()
    cleanups.push(() => tmp.remove())
    const logger = recordingLogger()
    const store = StatsStore.open({ dataDir: tmp.dir, maxTopKeys: 10, outbox: true, logger })
    cleanups.push(() => store.close())
    const b = (await import('./sample-buckets.js')).bucketOf('node-a', T0, [])
    await store.closeMinute({ ...b, total: 1 })
    await store.applyRetention(T0 + 1, 0) // the minute goes, the hour stays
    const sink = new FakeSink()
    const drainer = new OutboxDrainer({ store, sink, logger, backoffMs: { base: 5, max: 5 }, batchSize: 10, writeTimeoutMs: 1000 })
    drainer.kick()
    await drainer.idle()
    expect([...sink.docs.keys()]).toEqual([`hour:node-a:${T0}`])
    expect(store.outboxSize()).toBe(0)
    await drainer.stop()
  })
})
