// Anti-entropy of a large counters state between two processes on loopback, through the real counters channel and
// gossip hosts: a "holder" with `keys` live keys × 2 windows × 3 slots (its own and two other nodes'), still taking
// live traffic (a delta every tick), and a "joiner" that starts empty. Reports how long the joiner takes to get and
// apply the whole snapshot, how long the holder's channel.snapshot() call (taking the cells) and its longest step of
// encoding one part held its event loop, the longest event-loop stall on each side, how long a single part took to
// apply, and the lag of the holder's deltas that arrived meanwhile (gossip lagMs: sender timestamp → applied). On a
// shared machine wall times include waiting for a CPU: the *CpuMs figures (process CPU time, GC threads included)
// are the work itself.
//
//   node --import tsx node/state/test/snapshot-transfer-bench.ts [--keys 240000] [--part-entries 4096] [--rounds 3]
//        [--suspect 1000] [--json out.json]
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DEFAULT_CODEC_LIMITS, WindowCounters, type CodecLimits, type StateEntry } from '../../../crdt-counters/index.js'
import { createGossip, loadOrCreatePeerId, type GossipMember, type ReplicatedChannel } from '../../../gossip/index.js'
import { freePorts } from '../../../gossip/test/cluster-harness.js'
import { JsonLineChild } from '../../../gossip/test/fixtures/json-line-child.js'
import { countersChannel } from '../counters-channel.js'
import { NodeStateStore } from '../node-state-store.js'

const SELF = fileURLToPath(import.meta.url)
const WINDOW_MS = 600_000
const MAX_FRAME_BYTES = 4 * 1024 * 1024
const LIMITS: CodecLimits = { ...DEFAULT_CODEC_LIMITS, maxBytes: MAX_FRAME_BYTES }
const HOT_KEYS = 10

interface ChildConfig {
  role: 'holder' | 'joiner'
  members: GossipMember[]
  dataDir: string
  keys: number
  partEntries: number
  suspectAfterMs: number
  /** Added to Date.now() by both processes: the clock starts a second into a window, so no boundary passes. */
  clockOffset: number
}

const keyOf = (i: number): string => `ip=10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}|path=/items/*`
const print = (o: object): void => void process.stdout.write(JSON.stringify(o) + '\n')
const round = (n: number): number => Math.round(n * 10) / 10
/** CPU time of this process (all its threads: GC helpers included) in ms, from a process.cpuUsage() difference. */
const cpuMs = (usage: NodeJS.CpuUsage): number => (usage.user + usage.system) / 1000

async function runChild(config: ChildConfig): Promise<void> {
  const clock = (): number => Date.now() + config.clockOffset
  const index = config.role === 'holder' ? 0 : 1
  const peerId = await loadOrCreatePeerId(config.dataDir)
  const counters = new WindowCounters({ self: peerId, gossipDelayMs: 40 })
  const store = NodeStateStore.open(config.dataDir)
  const inner = countersChannel(counters, store, LIMITS, config.partEntries)
  const measured = { snapshotCalls: 0, snapshotCallMs: 0, snapshotParts: 0, snapshotBytes: 0, partsApplied: 0, bytesApplied: 0, firstPartAt: 0, lastPartAt: 0, maxPartApplyMs: 0, totalApplyMs: 0, maxPartEncodeMs: 0, snapshotCallCpuMs: 0, encodeCpuMs: 0, applyCpuMs: 0 }
  // Counts parts and bytes as the gossip layer pulls them, and the time spent encoding each.
  function* counted(parts: Iterable<Uint8Array>): Generator<Uint8Array> {
    const iterator = parts[Symbol.iterator]()
    for (;;) {
      const started = performance.now()
      const cpu = process.cpuUsage()
      const step = iterator.next()
      const took = performance.now() - started
      measured.encodeCpuMs += cpuMs(process.cpuUsage(cpu))
      if (took > measured.maxPartEncodeMs) measured.maxPartEncodeMs = took
      if (step.done === true) return
      measured.snapshotParts++
      measured.snapshotBytes += step.value.byteLength
      yield step.value
    }
  }
  const channel: ReplicatedChannel = {
    ...inner,
    snapshot(now) {
      const started = performance.now()
      const cpu = process.cpuUsage()
      const parts = inner.snapshot(now)
      measured.snapshotCallMs = performance.now() - started
      measured.snapshotCallCpuMs = cpuMs(process.cpuUsage(cpu))
      measured.snapshotCalls++
      measured.snapshotParts = 0
      measured.snapshotBytes = 0
      return counted(parts instanceof Uint8Array ? [parts] : parts)
    },
    applySnapshot(from, payload, now) {
      const started = performance.now()
      const cpu = process.cpuUsage()
      inner.applySnapshot(from, payload, now)
      const took = performance.now() - started
      measured.applyCpuMs += cpuMs(process.cpuUsage(cpu))
      if (measured.partsApplied === 0) measured.firstPartAt = Date.now()
      measured.partsApplied++
      measured.bytesApplied += payload.byteLength
      measured.lastPartAt = Date.now()
      if (took > measured.maxPartApplyMs) measured.maxPartApplyMs = took
      measured.totalApplyMs += took
    },
  }
  if (config.role === 'holder') {
    const now = clock()
    const window = Math.floor(now / WINDOW_MS)
    const others: StateEntry[] = []
    for (let i = 0; i < config.keys; i++) {
      counters.add(keyOf(i), WINDOW_MS, now - WINDOW_MS, 1 + (i % 13))
      counters.add(keyOf(i), WINDOW_MS, now, 1 + (i % 7))
      for (const w of [window - 1, window]) {
        others.push([keyOf(i), WINDOW_MS, w, [['12D3KooWOtherNodeNumberOne', 100 + i], ['12D3KooWOtherNodeNumberTwo', 200 + i]]])
      }
    }
    counters.mergeSnapshot(others, now)
    counters.takeDelta() // the fill is state, not traffic
  }
  const verbose = process.env.BENCH_LOG === '1'
  const log = (level: string) => (o: object, m?: string) => {
    if (verbose) console.error(Date.now() % 100_000, config.role, level, m, JSON.stringify(o))
  }
  const quiet = { info: log('info'), debug: log('debug'), warn: (o: object, m?: string) => console.error(config.role, m, JSON.stringify(o)), error: (o: object, m?: string) => console.error(config.role, m, JSON.stringify(o)) }
  const gossip = await createGossip({
    self: config.members[index] as GossipMember,
    members: config.members,
    dataDir: config.dataDir,
    secret: 'snapshot-transfer-bench-secret-0123456789',
    intervalMs: 20,
    suspectAfterMs: config.suspectAfterMs,
    syncTimeoutMs: 120_000,
    maxFrameBytes: MAX_FRAME_BYTES,
    channels: { counters: channel },
    logger: quiet,
    now: clock,
    onHeard: (peer, now) => counters.peerHeard(peer, now),
  })
  const loop = monitorEventLoopDelay({ resolution: 5 })
  if (config.role === 'holder') {
    await gossip.start()
    print({ event: 'filled', cells: counters.snapshot(clock()).length })
    // live traffic on a few keys from now on: a delta every tick
    let n = 0
    setInterval(() => counters.add(`hot-${n++ % HOT_KEYS}`, WINDOW_MS, clock()), 2).unref()
    loop.enable()
    createInterface({ input: process.stdin }).on('line', () => {
      loop.disable()
      const stats = gossip.stats()
      print({
        event: 'result',
        result: {
          snapshotCalls: measured.snapshotCalls,
          snapshotCallMs: round(measured.snapshotCallMs),
          snapshotCallCpuMs: round(measured.snapshotCallCpuMs),
          encodeCpuMs: round(measured.encodeCpuMs),
          maxPartEncodeMs: round(measured.maxPartEncodeMs),
          snapshotParts: measured.snapshotParts,
          snapshotMB: round(measured.snapshotBytes / 1e6),
          loopMaxMs: round(loop.max / 1e6),
          loopP99Ms: round(loop.percentile(99) / 1e6),
          reconnects: stats.reconnects,
          slowPeerAborts: stats.slowPeerAborts,
          oversizedOutbound: stats.oversizedOutbound,
        },
      })
      void gossip.stop().then(() => process.exit(0))
    })
    return
  }
  loop.enable()
  const startedAt = Date.now()
  await gossip.start()
  await gossip.whenReady()
  const readyAt = Date.now()
  loop.disable()
  // let the deltas sent during the transfer land, then read their lag
  await new Promise((resolve) => setTimeout(resolve, 300))
  const holder = gossip.members()[1]
  print({
    event: 'result',
    result: {
      startToReadyMs: readyAt - startedAt,
      firstToLastPartMs: measured.lastPartAt - measured.firstPartAt,
      partsApplied: measured.partsApplied,
      mbApplied: round(measured.bytesApplied / 1e6),
      cells: counters.snapshot(clock()).length,
      maxPartApplyMs: round(measured.maxPartApplyMs),
      totalApplyMs: round(measured.totalApplyMs),
      applyCpuMs: round(measured.applyCpuMs),
      malformedFrames: gossip.stats().malformedFrames,
      loopMaxMs: round(loop.max / 1e6),
      deltaLagMs: holder?.lagMs ?? null,
    },
  })
  await gossip.stop()
  process.exit(0)
}

// ---- parent ----------------------------------------------------------------------------------------------------

const child = (config: ChildConfig) => new JsonLineChild(SELF, ['--child', JSON.stringify(config)])

async function runRound(keys: number, partEntries: number, suspectAfterMs: number): Promise<{ holder: unknown; joiner: unknown }> {
  const dir = await mkdtemp(join(tmpdir(), 'meliproxy-snapshot-bench-'))
  const ports = await freePorts(2)
  const members = ['holder', 'joiner'].map((name, i) => ({ name, p2p: `127.0.0.1:${ports[i]}` }))
  const clockOffset = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + 1000 - Date.now()
  const base = { members, keys, partEntries, suspectAfterMs, clockOffset }
  const holder = child({ ...base, role: 'holder', dataDir: join(dir, 'holder') })
  try {
    const filled = await holder.next('filled', 300_000)
    const joiner = child({ ...base, role: 'joiner', dataDir: join(dir, 'joiner') })
    const joined = (await joiner.next('result', 300_000)).result
    holder.send({ op: 'result' })
    const held = (await holder.next('result', 30_000)).result
    await joiner.end(10_000)
    return { holder: { cells: filled.cells, ...(held as object) }, joiner: joined }
  } finally {
    await holder.end(10_000)
    await rm(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      keys: { type: 'string', default: '240000' },
      'part-entries': { type: 'string', default: '4096' },
      rounds: { type: 'string', default: '3' },
      suspect: { type: 'string', default: '1000' },
      json: { type: 'string' },
    },
  })
  if (values.child !== undefined) return runChild(JSON.parse(values.child) as ChildConfig)
  const results: unknown[] = []
  for (let r = 0; r < Number(values.rounds); r++) {
    const result = await runRound(Number(values.keys), Number(values['part-entries']), Number(values.suspect))
    results.push(result)
    console.log(JSON.stringify({ keys: Number(values.keys), partEntries: Number(values['part-entries']), suspectAfterMs: Number(values.suspect), ...result }))
  }
  if (values.json !== undefined) await writeFile(values.json, JSON.stringify(results, null, 2) + '\n')
}

await main()
