// SIGKILL a real process holding the stats store, then reopen its data dir: what was flushed survives, what was
// not is lost (at most one flush interval), nothing is counted twice.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { NodeStats } from '../node-stats.js'
import { MINUTE_MS, HOUR_MS } from '../stats-bucket.js'
import { StatsStore } from '../stats-store.js'
import { recordingLogger, RETENTION, T0, TestClock, tempDir, waitFor } from './helpers.js'

const CHILD = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url))
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

interface Child {
  proc: ChildProcess
  send(line: string): void
  expectLine(prefix: string): Promise<string>
  kill9(): Promise<void>
}

function startChild(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines: string[] = []
  createInterface({ input: proc.stdout! }).on('line', (l) => lines.push(l))
  let exited = false
  proc.on('exit', () => {
    exited = true
  })
  cleanups.push(() => {
    if (!exited) proc.kill('SIGKILL')
  })
  return {
    proc,
    send: (line) => proc.stdin!.write(`${line}\n`),
    async expectLine(prefix) {
      await waitFor(() => lines.length > 0 || exited, 20_000, `child line "${prefix}"`)
      const line = lines.shift()
      if (line === undefined || !line.startsWith(prefix)) throw new Error(`child said ${JSON.stringify(line)} (exited: ${exited}), expected ${prefix}`)
      return line
    },
    async kill9() {
      proc.kill('SIGKILL')
      await waitFor(() => exited, 10_000, 'child exit')
    },
  }
}

async function openStats(dir: string, clock: TestClock): Promise<NodeStats> {
  const stats = await NodeStats.open({
    nodeId: 'crash-child',
    nodeName: 'n1',
    dataDir: dir,
    retention: RETENTION,
    flushIntervalMs: 60_000,
    logger: recordingLogger(),
    now: clock.now,
  })
  cleanups.push(() => stats.close())
  return stats
}

describe('crash recovery (SIGKILL)', () => {
  it('keeps what was flushed, loses only what was not, and continues the minute without double counting', async () => {
    const tmp = tempDir()
    cleanups.push(() => tmp.remove())
    const now = T0 + 10_000
    const child = startChild({ STATS_DIR: tmp.dir, STATS_NOW: String(now), STATS_FLUSH_MS: '60000' })
    await child.expectLine('ready')
    child.send('record 700')
    await child.expectLine('recorded 700')
    child.send('flush')
    await child.expectLine('flushed')
    child.send('record 55') // never flushed: lost with the process
    await child.expectLine('recorded 55')
    await child.kill9()

    const clock = new TestClock(now + 5_000) // same minute
    const stats = await openStats(tmp.dir, clock)
    stats.record('ok2xx', 200, 100, 1000, 2000, 1500)
    await stats.flush()
    const [b] = await stats.query({ from: T0, to: T0 + MINUTE_MS, resolution: 'minute' })
    expect(b!.total).toBe(701)
    expect(b!.rules).toEqual({ r: { admitted: 700, limited: 0 } })
    expect(b!.topLimited).toEqual([{ rule: 'r', key: 'k', count: 700, error: 0 }])
  })

  it('flushes on its timer, so a kill after one interval loses nothing recorded before it', async () => {
    const tmp = tempDir()
    cleanups.push(() => tmp.remove())
    const child = startChild({ STATS_DIR: tmp.dir, STATS_FLUSH_MS: '50' })
    await child.expectLine('ready')
    child.send('record 1234')
    await child.expectLine('recorded 1234')
    // Another process (this one) reads the LMDB files until the child's timer has committed the counts.
    const reader = StatsStore.open({ dataDir: tmp.dir, maxTopKeys: 100, outbox: false, logger: recordingLogger() })
    const stored = (): number => reader.range('minute', 0, Date.now() + HOUR_MS).reduce((a, b) => a + b.total, 0)
    try {
      await waitFor(() => stored() === 1234, 10_000, 'the timer flush')
    } finally {
      await reader.close()
    }
    await child.kill9()
    const stats = await openStats(tmp.dir, new TestClock(Date.now()))
    const minutes = await stats.query({ from: 0, to: Date.now() + HOUR_MS, resolution: 'minute' })
    expect(minutes.reduce((a, b) => a + b.total, 0)).toBe(1234)
  })

  it('rolls a minute the crash left open into its hour on the next open, once', async () => {
    const tmp = tempDir()
    cleanups.push(() => tmp.remove())
    const child = startChild({ STATS_DIR: tmp.dir, STATS_NOW: String(T0 + 1_000), STATS_FLUSH_MS: '60000' })
    await child.expectLine('ready')
    child.send('record 40')
    await child.expectLine('recorded 40')
    child.send('flush')
    await child.expectLine('flushed')
    await child.kill9()

    const clock = new TestClock(T0 + 3 * MINUTE_MS) // the crashed minute is over
    const first = await openStats(tmp.dir, clock)
    const [hour] = await first.query({ from: T0, to: T0 + HOUR_MS, resolution: 'hour' })
    expect(hour!.total).toBe(40)
    await first.close()
    const again = await openStats(tmp.dir, clock) // a second open must not roll it up again
    const [hour2] = await again.query({ from: T0, to: T0 + HOUR_MS, resolution: 'hour' })
    expect(hour2!.total).toBe(40)
    expect(hour2!.rules).toEqual({ r: { admitted: 40, limited: 0 } })
  })
})
