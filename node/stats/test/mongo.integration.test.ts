// Against a real MongoDB only: set MONGODB_URI (e.g. mongodb://127.0.0.1:27017) to run. No server exists on
// the development machine, so by default this file skips and says so.
import { randomBytes } from 'node:crypto'
import { MongoClient } from 'mongodb'
import { afterAll, describe, expect, it } from 'vitest'
import { NodeStats } from '../node-stats.js'
import { MongoStatsSink } from '../mongo-sink.js'
import { HOUR_MS, MINUTE_MS } from '../stats-bucket.js'
import { recordingLogger, RETENTION, T0, TestClock, tempDir, waitFor } from './helpers.js'

const uri = process.env.MONGODB_URI
if (!uri) console.log('node/stats MongoDB integration tests skipped: MONGODB_URI is not set')

describe.skipIf(!uri)('MongoDB sink (integration)', () => {
  const database = 'meliproxy_test'
  const prefix = `t${randomBytes(4).toString('hex')}_`
  const cleanups: Array<() => Promise<void> | void> = []
  afterAll(async () => {
    while (cleanups.length > 0) await cleanups.pop()!()
    const client = new MongoClient(uri!)
    await client.db(database).collection(`${prefix}minutes`).drop().catch(() => undefined)
    await client.db(database).collection(`${prefix}hourly`).drop().catch(() => undefined)
    await client.close()
  })

  async function node(nodeId: string, nodeName: string, clock: TestClock): Promise<NodeStats> {
    const tmp = tempDir()
    cleanups.push(() => tmp.remove())
    const stats = await NodeStats.open({
      nodeId,
      nodeName,
      dataDir: tmp.dir,
      retention: RETENTION,
      flushIntervalMs: 60_000,
      logger: recordingLogger(),
      now: clock.now,
      mongo: { uri: uri!, database, collectionPrefix: prefix },
    })
    cleanups.push(() => stats.close())
    return stats
  }

  it('upserts closed buckets of two nodes and sums them with the aggregation pipeline', async () => {
    const clock = new TestClock(T0 + 1000)
    const a = await node('node-a', 'n1', clock)
    const b = await node('node-b', 'n2', clock)
    for (let i = 0; i < 5; i++) a.record('ok2xx', 200, 10, 100, 1000, 800)
    for (let i = 0; i < 3; i++) b.record('limited429', 429, 10, 50, 30, 0)
    a.recordRule('ip.rule', true)
    b.recordRule('ip.rule', false)
    b.recordLimitedKey('ip.rule', 'ip=1.2.3.4')
    clock.t += MINUTE_MS
    await a.flush()
    await b.flush()
    await waitFor(() => a.live().sink!.pending === 0 && b.live().sink!.pending === 0, 30_000, 'both outboxes to drain')

    const minutes = await a.queryMongo({ from: T0, to: T0 + HOUR_MS, resolution: 'minute' })
    expect(minutes.map((m) => [m.start, m.total, m.node])).toEqual([[T0, 8, '*']])
    expect(minutes[0]!.outcomes).toMatchObject({ ok2xx: 5, limited429: 3 })
    expect(minutes[0]!.rules).toEqual({ 'ip.rule': { admitted: 1, limited: 1 } })
    expect(minutes[0]!.topLimited[0]).toMatchObject({ rule: 'ip.rule', key: 'ip=1.2.3.4', count: 1 })
    const hours = await b.queryMongo({ from: T0, to: T0 + HOUR_MS, resolution: 'hour' })
    expect(hours.map((h) => h.total)).toEqual([8])

    const client = new MongoClient(uri!)
    cleanups.push(() => client.close())
    const hourly = await client.db(database).collection(`${prefix}hourly`).find({}).sort({ node: 1 }).toArray()
    expect(hourly.map((d) => [d.node, d.totalQty, d.okQty, d.ratelimitQty, d.hour])).toEqual([
      ['node-a', 5, 5, 0, 12],
      ['node-b', 3, 0, 3, 12],
    ])
    const indexes = await client.db(database).collection(`${prefix}minutes`).indexes()
    expect(indexes.some((ix) => ix.unique === true && JSON.stringify(ix.key) === JSON.stringify({ node: 1, start: 1 }))).toBe(true)
  })

  it('a retried write of the same bucket does not count twice', async () => {
    const sink = new MongoStatsSink({ uri: uri!, database, collectionPrefix: prefix, nodeName: 'n9', maxTopKeys: 100 })
    cleanups.push(() => sink.close())
    await sink.open()
    const { bucketOf, s } = await import('./sample-buckets.js')
    const bucket = bucketOf('node-retry', T0 + 10 * MINUTE_MS, [s('ok2xx', 200, 100, 50), s('ok2xx', 200, 100, 50)])
    await sink.write([bucket], [])
    await sink.write([bucket], [])
    const [m] = await sink.queryCluster({ from: T0 + 10 * MINUTE_MS, to: T0 + 11 * MINUTE_MS, resolution: 'minute' })
    expect(m!.total).toBe(2)
  })
})
