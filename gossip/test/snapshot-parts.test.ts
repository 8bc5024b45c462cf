// Snapshots in parts. From a member played by a raw peer (so the test decides what arrives when): parts are applied
// as they arrive, the member is synced and we are ready only once the last part is applied, parts out of order close
// the stream, and an empty last part syncs without being applied. Between real hosts: a lazily encoded snapshot
// hundreds of frames long, far larger than maxFrameBytes, reaches a peer completely while deltas keep flowing in
// between; an empty snapshot syncs; one whose encoding fails midway never counts as synced.
import { pack } from 'msgpackr'
import { afterEach, describe, expect, it } from 'vitest'
import { FrameType } from '../constants.js'
import type { SnapshotFrame } from '../frame-codec.js'
import { loadOrCreatePrivateKey } from '../peer-key.js'
import { TestCluster, waitFor, type TestNode } from './cluster-harness.js'
import { MaxMapChannel } from './max-map-channel.js'
import { RawPeer, type RawStream } from './raw-peer.js'

const SECRET = 'snapshot-parts-test-secret-0123456789'
let cluster: TestCluster | undefined
let fakeC: RawPeer | undefined

afterEach(async () => {
  await fakeC?.stop()
  fakeC = undefined
  await cluster?.close()
  cluster = undefined
})

interface Played {
  a: TestNode
  /** Peer ids a reported to onHeard, one entry per call. */
  heard: string[]
  open: () => Promise<RawStream>
}

/** Member a (real, never ready by timeout during a test) and member c played by a raw peer holding c's key. */
async function playC(): Promise<Played> {
  const heard: string[] = []
  cluster = await TestCluster.create(['a', 'c'], { secret: SECRET, pinPeerIds: true, syncTimeoutMs: 60_000, onHeard: (peerId) => heard.push(peerId) })
  const c = cluster
  const a = await c.start(0)
  const raw = await RawPeer.create({ secret: SECRET, privateKey: await loadOrCreatePrivateKey(c.dataDir(1)) })
  fakeC = raw
  const port = Number(c.members[0]?.p2p.split(':')[1])
  return {
    a,
    heard,
    open: async () => {
      const stream = await raw.open(port)
      stream.hello('c', raw.peerId)
      return stream
    },
  }
}

/** Part i of a snapshot holding key; more: further parts follow. */
function part(key: string, i: number, more: boolean): SnapshotFrame {
  const frame: SnapshotFrame = { t: FrameType.Snapshot, ts: Date.now(), c: 'kv', p: pack([[key, 1]]), i }
  if (more) frame.more = true
  return frame
}

describe('snapshot parts from a member', () => {
  it('are applied as they arrive; the member is syncing and we are not ready until the last part', async () => {
    const { a, heard, open } = await playC()
    const stream = await open()
    stream.sendFrame(part('p0', 0, true))
    stream.sendFrame(part('p1', 1, true))
    await waitFor(() => a.channel.get('p1') === 1, 5000, 'the first two parts applied')
    expect(a.channel.snapshotsApplied).toBe(2)
    expect(cluster!.stateOf(0, 1)).toBe('syncing')
    expect(a.gossip.ready).toBe(false)
    // the hello and each part were heard
    expect(heard).toEqual([fakeC!.peerId, fakeC!.peerId, fakeC!.peerId])

    stream.sendFrame(part('p2', 2, false))
    await waitFor(() => a.gossip.ready, 5000, 'a ready after the last part')
    expect(a.channel.get('p2')).toBe(1)
    expect(a.channel.snapshotsApplied).toBe(3)
    expect(cluster!.stateOf(0, 1)).toBe('up')
    expect(a.logger.entries.find((e) => e.msg === 'gossip ready')?.obj).toMatchObject({ synced: ['c'], missing: [] })
  })

  it('out of order close the stream unapplied and unheard', async () => {
    const { a, heard, open } = await playC()
    const skipping = await open()
    skipping.sendFrame(part('q0', 0, true))
    skipping.sendFrame(part('q2', 2, false))
    await waitFor(() => skipping.closed, 5000, 'a closing the stream that skipped a part')
    expect(a.channel.get('q0')).toBe(1)
    expect(a.channel.get('q2')).toBeUndefined()
    expect(a.gossip.stats().malformedFrames).toBe(1)
    expect(heard).toHaveLength(2) // hello and part 0

    // a new stream starts over from part 0
    const restarting = await open()
    restarting.sendFrame(part('r1', 1, false))
    await waitFor(() => restarting.closed, 5000, 'a closing the stream that did not start at part 0')
    expect(a.channel.get('r1')).toBeUndefined()
    expect(a.gossip.stats().malformedFrames).toBe(2)
    expect(a.gossip.ready).toBe(false)
    expect(cluster!.stateOf(0, 1)).not.toBe('up')
  })

  it('an empty last part syncs the member without being applied', async () => {
    const { a, open } = await playC()
    const stream = await open()
    stream.sendFrame({ t: FrameType.Snapshot, ts: Date.now(), c: 'kv', p: new Uint8Array(0), i: 0 })
    await waitFor(() => a.gossip.ready && cluster!.stateOf(0, 1) === 'up', 5000, 'a ready and c up')
    expect(a.channel.snapshotsApplied).toBe(0)
  })
})

describe('snapshots in parts between real hosts', () => {
  it('a snapshot of hundreds of frames, over 50× maxFrameBytes, reaches a peer completely while deltas keep flowing', async () => {
    const MAX_FRAME_BYTES = 16 * 1024
    const PART_ENTRIES = 50
    const KEYS = 20_000
    cluster = await TestCluster.create(['a', 'b'], { secret: SECRET, maxFrameBytes: MAX_FRAME_BYTES, syncTimeoutMs: 60_000 })
    const c = cluster
    const a = await c.start(0, new MaxMapChannel(PART_ENTRIES))
    // ~50 bytes per entry: parts of ~2.5 KB, 400 of them, ~1 MB in all
    for (let k = 0; k < KEYS; k++) a.channel.set(`key-${String(k).padStart(8, '0')}-${'x'.repeat(30)}`, k + 1)
    a.gossip.flush() // no peer yet: these reach b only through the snapshot
    const parts = KEYS / PART_ENTRIES

    const bChannel = new MaxMapChannel(PART_ENTRIES)
    let partsWhenLiveArrived: number | undefined
    bChannel.onApply = (kind) => {
      if (kind === 'snapshot' && bChannel.snapshotsApplied === 1) {
        // a's snapshot has started arriving: a write on a now must not wait for the rest of it
        a.channel.set('live', 1)
        a.gossip.flush()
      }
      if (kind === 'delta' && partsWhenLiveArrived === undefined && bChannel.get('live') === 1) partsWhenLiveArrived = bChannel.snapshotsApplied
    }
    const b = await c.start(1, bChannel)
    await b.gossip.whenReady()
    // ready means every part is in
    expect(b.channel.values.size).toBe(KEYS + 1)
    expect(b.channel.get(`key-${String(KEYS - 1).padStart(8, '0')}-${'x'.repeat(30)}`)).toBe(KEYS)
    expect(b.channel.snapshotsApplied).toBe(parts)
    expect(partsWhenLiveArrived).toBeDefined()
    expect(partsWhenLiveArrived).toBeLessThan(parts / 2)
    expect(a.gossip.stats()).toMatchObject({ oversizedOutbound: 0, slowPeerAborts: 0 })
    expect(b.gossip.stats().malformedFrames).toBe(0)
    expect(a.gossip.members()[1]?.bytesOut).toBeGreaterThan(50 * MAX_FRAME_BYTES)
    // b had nothing: its snapshot is one empty part, which syncs it with a and is not applied
    await c.waitAllUp([0, 1])
    expect(a.channel.snapshotsApplied).toBe(0)

    // a delta of many parts goes through too
    for (let k = 0; k < 1000; k++) b.channel.set(`from-b-${k}`, 1)
    b.gossip.flush()
    await waitFor(() => a.channel.values.size === KEYS + 1 + 1000, 5000, 'a 20-part delta of b reaching a')
  })

  it('a part too large for a frame is sent empty and counted; the other parts arrive and the peer syncs', async () => {
    cluster = await TestCluster.create(['a', 'b'], { secret: SECRET, maxFrameBytes: 16 * 1024, syncTimeoutMs: 60_000 })
    const c = cluster
    const aChannel = new MaxMapChannel(10)
    const huge = `k050-${'x'.repeat(20_000)}`
    for (let k = 0; k < 100; k++) {
      aChannel.set(`k${String(k).padStart(3, '0')}`, k + 1)
      if (k === 50) aChannel.set(huge, 1) // its part of 10 entries is over 16 KiB
    }
    aChannel.takeDelta() // state to send by snapshot only
    const a = await c.start(0, aChannel)
    const b = await c.start(1, new MaxMapChannel(10))
    await b.gossip.whenReady()
    // the 10 entries of the part holding the huge key are missing, the 9 parts around it arrived
    expect(b.channel.values.size).toBe(91)
    expect(b.channel.get(huge)).toBeUndefined()
    expect(b.channel.get('k000')).toBe(1)
    expect(b.channel.get('k099')).toBe(100)
    expect(b.channel.snapshotsApplied).toBe(10)
    expect(a.gossip.stats().oversizedOutbound).toBe(1)
    expect(a.logger.has('error', 'channel part over the frame limit not sent')).toBe(true)
    await c.waitAllUp([0, 1])
  })

  it('a snapshot whose encoding fails midway never counts as synced; the stream keeps carrying deltas', async () => {
    cluster = await TestCluster.create(['a', 'b'], { secret: SECRET, syncTimeoutMs: 2000 })
    const c = cluster
    const aChannel = new MaxMapChannel(10)
    for (let k = 0; k < 100; k++) aChannel.set(`k${k}`, 1)
    aChannel.failSnapshotAfterParts = 3
    const a = await c.start(0, aChannel)
    const b = await c.start(1, new MaxMapChannel(10))
    await b.gossip.whenReady() // by syncTimeoutMs: a never completed its snapshot
    // 3 parts were encoded, but the third is held until the next one says whether it is the last: it never goes
    expect(b.channel.snapshotsApplied).toBe(2)
    expect(b.logger.entries.find((e) => e.msg === 'gossip ready')?.obj).toMatchObject({ synced: [], missing: ['a'] })
    expect(a.logger.has('error', 'channel snapshot threw; peers will not sync it from us')).toBe(true)
    a.channel.set('after', 1)
    await waitFor(() => b.channel.get('after') === 1, 5000, "a's delta reaching b")
    expect(c.stateOf(1, 0)).toBe('syncing')
  })
})
