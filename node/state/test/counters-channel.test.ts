// The counters channel on its own: a delta of 100,000 cells and a snapshot of 200,000 come out in parts that each
// decode under the receiver's limits, and together hold every cell. Then through real gossip hosts and real
// WindowCounters: a node restarted with an empty memory gets every one of 100,000 live keys (current and previous
// window, 3 slots each, its own included) back from its peer before it is ready, through a snapshot of many parts
// larger than maxFrameBytes.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeDelta, decodeState, DEFAULT_CODEC_LIMITS, WindowCounters, type CodecLimits } from '../../../crdt-counters/index.js'
import {
  createGossip,
  loadOrCreatePeerId,
  MAX_ENVELOPE_OVERHEAD_BYTES,
  type Gossip,
  type GossipMember,
  type ReplicatedChannel,
} from '../../../gossip/index.js'
import { CapturingLogger, freePorts, waitFor } from '../../../gossip/test/cluster-harness.js'
import { countersChannel, SNAPSHOT_PART_ENTRIES } from '../counters-channel.js'
import { NodeStateStore } from '../node-state-store.js'

const KEYS = 100_000
const WINDOW_MS = 600_000
// The hosts' clock starts a second into a window, so no window boundary passes during the test and the counts
// compared are those written.
const clockOffset = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + 1000 - Date.now()
const clock = (): number => Date.now() + clockOffset
const MAX_FRAME_BYTES = 4 * 1024 * 1024
const LIMITS: CodecLimits = { ...DEFAULT_CODEC_LIMITS, maxBytes: MAX_FRAME_BYTES } // as node.ts derives them

interface CountingNode {
  counters: WindowCounters
  gossip: Gossip
  store: NodeStateStore
  /** Snapshot frames (parts) this node applied. */
  frames: { snapshot: number }
}

let baseDir: string | undefined
const running: CountingNode[] = []

afterEach(async () => {
  for (const node of running.splice(0)) {
    await node.gossip.stop()
    await node.store.close()
  }
  if (baseDir !== undefined) await rm(baseDir, { recursive: true, force: true })
  baseDir = undefined
})

const keyOf = (i: number): string => `ip=10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}|path=/items/*`

async function startNode(members: GossipMember[], i: number, dataDir: string, stateDir: string): Promise<CountingNode> {
  const peerId = await loadOrCreatePeerId(dataDir)
  const counters = new WindowCounters({ self: peerId, gossipDelayMs: 40 })
  const store = NodeStateStore.open(stateDir)
  const frames = { snapshot: 0 }
  const inner = countersChannel(counters, store, LIMITS)
  const channel: ReplicatedChannel = {
    ...inner,
    applySnapshot(from, payload, now) {
      inner.applySnapshot(from, payload, now)
      frames.snapshot++
    },
  }
  const gossip = await createGossip({
    self: members[i] as GossipMember,
    members,
    dataDir,
    secret: 'counters-channel-test-secret-0123456789',
    intervalMs: 20,
    suspectAfterMs: 5000,
    syncTimeoutMs: 60_000,
    maxFrameBytes: MAX_FRAME_BYTES,
    channels: { counters: channel },
    logger: new CapturingLogger(members[i]!.name),
    now: clock,
    onHeard: (peer, now) => counters.peerHeard(peer, now),
  })
  await gossip.start()
  const node = { counters, gossip, store, frames }
  running.push(node)
  return node
}

describe('counters channel', () => {
  it('splits a delta of 100,000 cells and a snapshot of 200,000 into parts that decode under the limits', async () => {
    baseDir = await mkdtemp(join(tmpdir(), 'meliproxy-counters-channel-'))
    const store = NodeStateStore.open(baseDir)
    try {
      const self = '12D3KooWSelfNodeOfThisTest'
      const counters = new WindowCounters({ self })
      const channel = countersChannel(counters, store, LIMITS)
      const now = clock()
      for (let i = 0; i < KEYS; i++) counters.add(keyOf(i), WINDOW_MS, now, 1 + (i % 7))
      const delta = channel.takeDelta()
      expect(Array.isArray(delta)).toBe(true)
      const deltaParts = delta as Uint8Array[]
      expect(deltaParts.length).toBeGreaterThan(1)
      let cells = 0
      for (const part of deltaParts) {
        expect(part.byteLength).toBeLessThanOrEqual(MAX_FRAME_BYTES - MAX_ENVELOPE_OVERHEAD_BYTES)
        cells += decodeDelta(part, LIMITS).length
      }
      expect(cells).toBe(KEYS)
      // every own cell was journalled, for a restart with no peer reachable
      expect(store.loadOwn(self, now)).toHaveLength(KEYS)

      for (let i = 0; i < KEYS; i++) counters.add(keyOf(i), WINDOW_MS, now - WINDOW_MS, 1)
      const snapshot = channel.snapshot(now)
      expect(snapshot).not.toBeInstanceOf(Uint8Array)
      let parts = 0
      cells = 0
      for (const part of snapshot as Iterable<Uint8Array>) {
        parts++
        expect(part.byteLength).toBeLessThanOrEqual(MAX_FRAME_BYTES - MAX_ENVELOPE_OVERHEAD_BYTES)
        const entries = decodeState(part, LIMITS)
        expect(entries.length).toBeLessThanOrEqual(SNAPSHOT_PART_ENTRIES)
        cells += entries.length
      }
      expect(cells).toBe(2 * KEYS)
      expect(parts).toBe(Math.ceil((2 * KEYS) / SNAPSHOT_PART_ENTRIES))
    } finally {
      await store.close()
    }
  })
})

describe('counters channel over gossip', () => {
  it(`a node restarted empty resyncs ${KEYS} live keys × 3 slots from its peer before it is ready`, async () => {
    baseDir = await mkdtemp(join(tmpdir(), 'meliproxy-counters-channel-'))
    const ports = await freePorts(2)
    const members: GossipMember[] = [
      { name: 'a', p2p: `127.0.0.1:${ports[0]}` },
      { name: 'b', p2p: `127.0.0.1:${ports[1]}` },
    ]
    const a = await startNode(members, 0, join(baseDir, 'a'), join(baseDir, 'a'))
    const b = await startNode(members, 1, join(baseDir, 'b'), join(baseDir, 'b-first'))
    await Promise.all([a.gossip.whenReady(), b.gossip.whenReady()])

    // Every key counted on a (this window and the previous one), on b, and (in a's view) on a third node that is
    // not running.
    const now = clock()
    const window = Math.floor(now / WINDOW_MS)
    const third: Array<[string, number, number, Array<[string, number]>]> = []
    for (let i = 0; i < KEYS; i++) {
      a.counters.add(keyOf(i), WINDOW_MS, now - WINDOW_MS, 2 + (i % 11))
      a.counters.add(keyOf(i), WINDOW_MS, now, 1 + (i % 7))
      b.counters.add(keyOf(i), WINDOW_MS, now, 1 + (i % 5))
      for (const w of [window - 1, window]) third.push([keyOf(i), WINDOW_MS, w, [['12D3KooWThirdNodeThatIsNotRunning', 1 + (i % 3)]]])
    }
    a.counters.mergeSnapshot(third, now)
    const last = keyOf(KEYS - 1)
    const withoutB = a.counters.estimate(last, WINDOW_MS, now)
    // b's 100,000 own cells leave in one takeDelta: a delta of several frames
    b.gossip.flush()
    a.gossip.flush()
    await waitFor(() => a.counters.estimate(last, WINDOW_MS, now) === withoutB + 1 + ((KEYS - 1) % 5), 30_000, "b's delta reaching a")

    // b restarts with nothing in memory and an empty journal: everything must come from a
    const bytesBefore = a.gossip.members()[1]!.bytesOut
    await b.gossip.stop()
    await b.store.close()
    running.splice(running.indexOf(b), 1)
    const restarted = await startNode(members, 1, join(baseDir, 'b'), join(baseDir, 'b-second'))
    expect(restarted.gossip.ready).toBe(false)
    await restarted.gossip.whenReady()
    const checkAt = clock()

    expect(restarted.gossip.members()[1]?.state).toBe('up')
    expect(restarted.counters.snapshot(checkAt)).toHaveLength(2 * KEYS)
    let differing = 0
    for (let i = 0; i < KEYS; i++) {
      const key = keyOf(i)
      if (restarted.counters.estimate(key, WINDOW_MS, checkAt) !== a.counters.estimate(key, WINDOW_MS, checkAt)) differing++
    }
    expect(differing).toBe(0)
    expect(restarted.counters.estimate(last, WINDOW_MS, now)).toBe(withoutB + 1 + ((KEYS - 1) % 5))
    // a snapshot of many parts, larger than one frame overall
    expect(restarted.frames.snapshot).toBeGreaterThanOrEqual(Math.ceil(KEYS / SNAPSHOT_PART_ENTRIES))
    expect(a.gossip.members()[1]!.bytesOut - bytesBefore).toBeGreaterThan(MAX_FRAME_BYTES)
    expect(a.gossip.stats()).toMatchObject({ oversizedOutbound: 0, slowPeerAborts: 0 })
    expect(restarted.gossip.stats().malformedFrames).toBe(0)
  }, 120_000)
})
