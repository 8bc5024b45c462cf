// The real driver against a loopback port where nothing listens: MongoDB being down must not fail or block
// record(), and must show up in live().sink while buckets wait in the outbox.
import { createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { NodeStats } from '../node-stats.js'
import { MINUTE_MS } from '../stats-bucket.js'
import { recordingLogger, RETENTION, T0, TestClock, tempDir, waitFor } from './helpers.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

/** A loopback port that was free a moment ago (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const { port } = srv.address() as { port: number }
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

describe('MongoDB unreachable', () => {
  it('keeps counting and queues closed buckets while every write fails', async () => {
    const tmp = tempDir()
    cleanups.push(() => tmp.remove())
    const clock = new TestClock(T0 + 1000)
    const logger = recordingLogger()
    const stats = await NodeStats.open({
      nodeId: 'node-a',
      nodeName: 'n1',
      dataDir: tmp.dir,
      retention: RETENTION,
      flushIntervalMs: 60_000,
      logger,
      now: clock.now,
      mongo: { uri: `mongodb://127.0.0.1:${await closedPort()}/?directConnection=true` },
    })
    cleanups.push(() => stats.close())
    for (let i = 0; i < 100; i++) stats.record('ok2xx', 200, 1, 1, 100, 50)
    clock.t += MINUTE_MS
    await stats.flush()
    stats.record('ok2xx', 200, 1, 1, 100, 50)
    expect(stats.live().minute.total).toBe(1)
    expect((await stats.query({ from: T0, to: T0 + MINUTE_MS, resolution: 'minute' }))[0]!.total).toBe(100)
    await waitFor(() => stats.live().sink!.failures >= 1, 20_000, 'the first failed attempt')
    const sink = stats.live().sink!
    expect(sink.pending).toBe(2)
    expect(sink.lastError).toBeTruthy()
    expect(logger.lines.some((l) => l.level === 'warn' && l.msg?.includes('stats sink write failed'))).toBe(true)
  })
})
