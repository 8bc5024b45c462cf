import { open } from 'lmdb'
import { afterEach, describe, expect, it } from 'vitest'
import { MINUTE_MS, HOUR_MS } from '../stats-bucket.js'
import { StatsStore } from '../stats-store.js'
import { recordingLogger, T0, tempDir } from './helpers.js'
import { bucketOf, s } from './sample-buckets.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

function openStore(outbox = false) {
  const tmp = tempDir()
  cleanups.push(() => tmp.remove())
  const logger = recordingLogger()
  const store = StatsStore.open({ dataDir: tmp.dir, maxTopKeys: 10, outbox, logger })
  cleanups.push(() => store.close())
  return { store, logger }
}

describe('StatsStore', () => {
  it('recovers several unclosed minutes of one hour in one transaction, summing all of them', async () => {
    const { store } = openStore(true)
    await store.putMinute(bucketOf('n', T0, [s('ok2xx', 200, 10, 5)]))
    await store.putMinute(bucketOf('n', T0 + MINUTE_MS, [s('ok2xx', 200, 10, 5), s('ok2xx', 200, 10, 5)]))
    await store.putMinute(bucketOf('n', T0 + 2 * MINUTE_MS, [s('ok2xx', 200, 10, 5)])) // the current minute
    expect(await store.recoverUnrolled(T0 + 2 * MINUTE_MS)).toBe(2)
    expect(store.get('hour', T0)!.total).toBe(3)
    expect(store.rolledThrough()).toBe(T0 + MINUTE_MS)
    expect(store.outboxBatch(10).map((i) => [i.resolution, i.start])).toEqual([
      ['hour', T0],
      ['minute', T0],
      ['minute', T0 + MINUTE_MS],
    ])
    expect(await store.recoverUnrolled(T0 + 2 * MINUTE_MS)).toBe(0)
    expect(store.get('hour', T0)!.total).toBe(3)
  })

  it('skips a corrupt record with a warning instead of failing the query', async () => {
    const tmp = tempDir()
    cleanups.push(() => tmp.remove())
    const logger = recordingLogger()
    const first = StatsStore.open({ dataDir: tmp.dir, maxTopKeys: 10, outbox: false, logger })
    await first.putMinute(bucketOf('n', T0, [s('ok2xx', 200, 10, 5)]))
    await first.putMinute(bucketOf('n', T0 + MINUTE_MS, [s('ok2xx', 200, 10, 5)]))
    await first.close()
    // garbage under a valid key, written straight through lmdb
    const raw = open({ path: StatsStore.pathOf(tmp.dir), maxDbs: 4 })
    await raw.openDB({ name: 'buckets', encoding: 'binary' }).put(['minute', T0], Buffer.from([0xc1, 0x00]))
    await raw.close()
    const store = StatsStore.open({ dataDir: tmp.dir, maxTopKeys: 10, outbox: false, logger })
    cleanups.push(() => store.close())
    expect(store.range('minute', 0, T0 + HOUR_MS).map((b) => b.start)).toEqual([T0 + MINUTE_MS])
    expect(logger.lines.some((l) => l.level === 'warn' && l.msg === 'skipping a corrupt stats bucket')).toBe(true)
  })
})
