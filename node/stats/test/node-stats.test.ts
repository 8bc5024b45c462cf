import { afterEach, describe, expect, it } from 'vitest'
import { percentile } from '../histogram.js'
import { NodeStats } from '../node-stats.js'
import { OVERFLOW_RULE_ID } from '../minute-accumulator.js'
import { MAX_TOP_KEY_CHARS } from '../space-saving.js'
import { HOUR_MS, MINUTE_MS } from '../stats-bucket.js'
import type { StatsOptions } from '../stats-options.js'
import { recordingLogger, RETENTION, T0, TestClock, tempDir } from './helpers.js'

const NODE = '12D3KooWNodeOneExamplePeerIdxxxxxxxxxxxxxxxxxxxxxxx'
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

function setup(extra: Partial<StatsOptions> = {}) {
  const tmp = tempDir()
  const clock = new TestClock(T0 + 5_000)
  const logger = recordingLogger()
  const opened: NodeStats[] = []
  cleanups.push(() => tmp.remove())
  cleanups.push(async () => {
    for (const s of opened) await s.close()
  })
  const open = async (more: Partial<StatsOptions> = {}) => {
    const s = await NodeStats.open({
      nodeId: NODE,
      nodeName: 'n1',
      dataDir: tmp.dir,
      retention: RETENTION,
      // The tests drive flushes themselves; the timer stays out of the way.
      flushIntervalMs: 60_000,
      logger,
      now: clock.now,
      ...extra,
      ...more,
    })
    opened.push(s)
    return s
  }
  return { dir: tmp.dir, clock, logger, open }
}

/** A known mix: 3 ok, 1 redirect, 2 limited, 1 404, 1 other 4xx, 1 5xx, 1 upstream error. */
function recordMix(stats: NodeStats): void {
  stats.record('ok2xx', 200, 100, 1000, 2000, 1500)
  stats.record('ok2xx', 200, 100, 1000, 3000, 2500)
  stats.record('ok2xx', 204, 50, 0, 1000, 800)
  stats.record('redirect3xx', 302, 100, 10, 1500, 1400)
  stats.record('limited429', 429, 80, 60, 40, 0)
  stats.record('limited429', 429, 80, 60, 60, 0)
  stats.record('notFound404', 404, 100, 20, 900, 850)
  stats.record('clientError4xx', 400, 100, 20, 900, 880)
  stats.record('serverError5xx', 503, 100, 20, 10_000, 9_000)
  stats.record('upstreamError', 504, 100, 40, 5_000_000, 5_000_000)
  stats.recordRule('ip-1000', true)
  stats.recordRule('ip-1000', true)
  stats.recordRule('ip-1000', false)
  stats.recordRule('items-10', false)
  stats.recordLimitedKey('ip-1000', 'ip=152.152.152.152')
  stats.recordLimitedKey('items-10', 'ip=152.152.152.152|path=/items/*')
  stats.recordLimitedKey('ip-1000', 'ip=152.152.152.152')
}

const MIX_TOTAL = 10

describe('NodeStats', () => {
  it('stores a known mix of samples as exact bucket contents', async () => {
    const { open, clock } = setup()
    const stats = await open()
    recordMix(stats)
    await stats.flush()
    const [b, ...rest] = await stats.query({ from: T0, to: T0 + MINUTE_MS, resolution: 'minute' })
    expect(rest).toEqual([])
    expect(b!.node).toBe(NODE)
    expect(b!.start).toBe(T0)
    expect(b!.resolution).toBe('minute')
    expect(b!.total).toBe(MIX_TOTAL)
    expect(b!.outcomes).toEqual({ ok2xx: 3, redirect3xx: 1, limited429: 2, notFound404: 1, clientError4xx: 1, serverError5xx: 1, upstreamError: 1 })
    expect(b!.bytesIn).toBe(910)
    expect(b!.bytesOut).toBe(2230)
    expect(b!.statuses).toEqual({ 200: 2, 204: 1, 302: 1, 400: 1, 404: 1, 429: 2, 503: 1, 504: 1 })
    expect(b!.rules).toEqual({ 'ip-1000': { admitted: 2, limited: 1 }, 'items-10': { admitted: 0, limited: 1 } })
    expect(b!.topLimited).toEqual([
      { rule: 'ip-1000', key: 'ip=152.152.152.152', count: 2, error: 0 },
      { rule: 'items-10', key: 'ip=152.152.152.152|path=/items/*', count: 1, error: 0 },
    ])
    expect(b!.latency.total.count).toBe(MIX_TOTAL)
    expect(b!.latency.total.sum).toBe(2000 + 3000 + 1000 + 1500 + 40 + 60 + 900 + 900 + 10_000 + 5_000_000)
    expect(b!.latency.total.max).toBe(5_000_000)
    expect(b!.latency.proxy.sum).toBe(500 + 500 + 200 + 100 + 40 + 60 + 50 + 20 + 1000 + 0)
    expect(b!.latency.proxy.min).toBe(0)
    expect(percentile(b!.latency.proxy, 0.5)).toBe(60)
    // Nothing for the next minute, and the query window is honoured.
    clock.t += 60_000
    expect(await stats.query({ from: T0 + MINUTE_MS, to: T0 + 2 * MINUTE_MS, resolution: 'minute' })).toEqual([])
  })

  it('keeps past buckets after close and reopen', async () => {
    const { open, clock } = setup()
    const first = await open()
    recordMix(first)
    clock.t += MINUTE_MS // T0+65 s: the first minute closes at the next flush
    await first.flush()
    first.record('ok2xx', 200, 1, 1, 10, 5)
    await first.close()
    await first.close() // idempotent
    const second = await open()
    const minutes = await second.query({ from: T0, to: T0 + HOUR_MS, resolution: 'minute' })
    expect(minutes.map((b) => [b.start, b.total])).toEqual([
      [T0, MIX_TOTAL],
      [T0 + MINUTE_MS, 1],
    ])
    const [hour] = await second.query({ from: T0, to: T0 + HOUR_MS, resolution: 'hour' })
    expect(hour!.total).toBe(MIX_TOTAL + 1)
  })

  it('continues the current minute after a restart within it: nothing lost, nothing counted twice', async () => {
    const { open } = setup()
    const first = await open()
    recordMix(first)
    await first.close()
    const second = await open()
    recordMix(second)
    await second.flush()
    const [b] = await second.query({ from: T0, to: T0 + MINUTE_MS, resolution: 'minute' })
    expect(b!.total).toBe(2 * MIX_TOTAL)
    expect(b!.rules['ip-1000']).toEqual({ admitted: 4, limited: 2 })
    expect(b!.topLimited[0]).toEqual({ rule: 'ip-1000', key: 'ip=152.152.152.152', count: 4, error: 0 })
    expect(b!.latency.total.count).toBe(2 * MIX_TOTAL)
    expect(b!.statuses[429]).toBe(4)
    expect(second.live().minute.total).toBe(2 * MIX_TOTAL)
  })

  it('rolls closed minutes up into their hour with exact sums', async () => {
    const { open, clock } = setup()
    const stats = await open()
    const perMinute = [4, 7, 0, 2]
    for (const n of perMinute) {
      for (let i = 0; i < n; i++) {
        stats.record('ok2xx', 200, 10, 100, 1000 + i, 900)
        stats.recordRule('r', i % 2 === 0)
        stats.recordLimitedKey('r', `k${i % 3}`)
      }
      clock.t += MINUTE_MS
      await stats.flush()
    }
    // into the next hour: minutes of the new hour roll up separately
    clock.t = T0 + HOUR_MS + 1000
    await stats.flush() // the rollover happens at a flush (the timer's, in production)
    stats.record('serverError5xx', 500, 1, 1, 50, 10)
    await stats.flush()
    clock.t += MINUTE_MS
    await stats.flush()
    const minutes = await stats.query({ from: T0, to: T0 + HOUR_MS, resolution: 'minute' })
    expect(minutes.map((b) => b.total)).toEqual([4, 7, 2])
    const hours = await stats.query({ from: T0, to: T0 + 2 * HOUR_MS, resolution: 'hour' })
    expect(hours.map((h) => [h.start, h.total])).toEqual([
      [T0, 13],
      [T0 + HOUR_MS, 1],
    ])
    const h = hours[0]!
    expect(h.resolution).toBe('hour')
    expect(h.outcomes.ok2xx).toBe(13)
    expect(h.bytesIn).toBe(130)
    expect(h.latency.total.count).toBe(13)
    expect(h.latency.total.sum).toBe(minutes.reduce((a, m) => a + m.latency.total.sum, 0))
    expect(h.rules).toEqual({ r: { admitted: 2 + 4 + 1, limited: 2 + 3 + 1 } })
    expect(h.topLimited.map((e) => [e.key, e.count])).toEqual([
      ['k0', 2 + 3 + 1],
      ['k1', 1 + 2 + 1],
      ['k2', 1 + 2],
    ])
    expect(hours[1]!.outcomes.serverError5xx).toBe(1)
  })

  it('shows the minute in progress in hour queries before it closes', async () => {
    const { open, clock } = setup()
    const stats = await open()
    stats.record('ok2xx', 200, 1, 1, 10, 5)
    clock.t += MINUTE_MS
    await stats.flush()
    stats.record('ok2xx', 200, 1, 1, 10, 5)
    stats.record('ok2xx', 200, 1, 1, 10, 5) // not flushed yet
    const [hour] = await stats.query({ from: T0, to: T0 + HOUR_MS, resolution: 'hour' })
    expect(hour!.total).toBe(3)
    const minutes = await stats.query({ from: T0, to: T0 + HOUR_MS, resolution: 'minute' })
    expect(minutes.map((b) => b.total)).toEqual([1, 2])
  })

  it('drops minute and hour buckets past their retention', async () => {
    const { open, clock } = setup({ retention: { minutesMs: 2 * HOUR_MS, hoursMs: 5 * HOUR_MS } })
    const stats = await open()
    stats.record('ok2xx', 200, 1, 1, 10, 5)
    clock.t += MINUTE_MS
    await stats.flush()
    // 2 h after that minute ended: the minute is gone, its hour stays
    clock.t = T0 + MINUTE_MS + 2 * HOUR_MS + 1
    await stats.flush()
    stats.record('ok2xx', 200, 1, 1, 10, 5)
    await stats.flush()
    clock.t += MINUTE_MS
    await stats.flush()
    const all = { from: 0, to: T0 + 24 * HOUR_MS }
    expect((await stats.query({ ...all, resolution: 'minute' })).map((b) => b.start)).toEqual([T0 + 2 * HOUR_MS + MINUTE_MS])
    expect((await stats.query({ ...all, resolution: 'hour' })).map((b) => b.start)).toEqual([T0, T0 + 2 * HOUR_MS])
    // 5 h after the first hour ended: that hour goes too (retention also runs on reopen)
    await stats.close()
    clock.t = T0 + HOUR_MS + 5 * HOUR_MS + 1
    const reopened = await open()
    expect((await reopened.query({ ...all, resolution: 'hour' })).map((b) => b.start)).toEqual([T0 + 2 * HOUR_MS])
  })

  it('reports the live request rate and the minute in progress', async () => {
    const { open, clock } = setup()
    const stats = await open()
    expect(stats.live().requestsPerSecond).toBe(0)
    for (let i = 0; i < 1000; i++) stats.record('ok2xx', 200, 1, 1, 10, 5)
    clock.t += 2000
    const live = stats.live()
    expect(live.requestsPerSecond).toBe(500)
    expect(live.windowMs).toBe(2000)
    expect(live.minute.total).toBe(1000)
    expect(live.nodeName).toBe('n1')
    expect(live.sink).toBeNull()
  })

  it('bounds distinct rule ids per minute and the length of stored keys', async () => {
    const { open } = setup({ maxRules: 3 })
    const stats = await open()
    for (let i = 0; i < 10; i++) stats.recordRule(`rule-${i}`, true)
    stats.recordRule('rule-0', false)
    stats.recordLimitedKey('rule-0', `path=/${'a'.repeat(5000)}`)
    await stats.flush()
    const [b] = await stats.query({ from: T0, to: T0 + MINUTE_MS, resolution: 'minute' })
    expect(b!.rules).toEqual({
      'rule-0': { admitted: 1, limited: 1 },
      'rule-1': { admitted: 1, limited: 0 },
      'rule-2': { admitted: 1, limited: 0 },
      [OVERFLOW_RULE_ID]: { admitted: 7, limited: 0 },
    })
    expect(b!.topLimited[0]!.key.length).toBe(MAX_TOP_KEY_CHARS)
  })

  it('rejects invalid options and queries with stable codes naming the field', async () => {
    const { open } = setup()
    await expect(open({ flushIntervalMs: 0 })).rejects.toMatchObject({ code: 'MELIPROXY_ERR_STATS_CONFIG_INVALID', field: 'stats.flushIntervalMs' })
    await expect(open({ retention: { minutesMs: 10, hoursMs: HOUR_MS } })).rejects.toMatchObject({ field: 'stats.retention.minutesMs' })
    await expect(open({ nodeId: '' })).rejects.toMatchObject({ field: 'stats.nodeId' })
    await expect(open({ maxTopKeys: 1e9 })).rejects.toMatchObject({ field: 'stats.maxTopKeys' })
    await expect(open({ mongo: { uri: 'not-a-mongo-uri://secret@host' } })).rejects.toMatchObject({ code: 'MELIPROXY_ERR_STATS_CONFIG_INVALID', field: 'stats.mongo.uri' })
    await expect(open({ mongo: { uri: 'not-a-mongo-uri://secret@host' } })).rejects.not.toThrow(/secret/)
    const stats = await open()
    await expect(stats.query({ from: 10, to: 5, resolution: 'minute' })).rejects.toMatchObject({ code: 'MELIPROXY_ERR_STATS_QUERY_INVALID', field: 'query.to' })
    await expect(stats.query({ from: 0, to: 5, resolution: 'day' as 'hour' })).rejects.toMatchObject({ field: 'query.resolution' })
    await expect(stats.query({ from: Number.NaN, to: 5, resolution: 'hour' })).rejects.toMatchObject({ field: 'query.from' })
    await expect(stats.queryMongo({ from: 0, to: 5, resolution: 'hour' })).rejects.toMatchObject({ code: 'MELIPROXY_ERR_STATS_MONGO_NOT_CONFIGURED' })
    await stats.close()
    await expect(stats.query({ from: 0, to: 5, resolution: 'hour' })).rejects.toMatchObject({ code: 'MELIPROXY_ERR_STATS_CLOSED' })
  })
})
