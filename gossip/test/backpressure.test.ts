// A member that stops reading (its process alive, its stream paused) must not make us buffer without bound: past
// the write buffer limit its stream is reset and counted, and the dial loop opens a fresh one.
import type { Stream } from '@libp2p/interface'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GOSSIP_PROTOCOL, MIN_PEER_WRITE_BUFFER_BYTES } from '../constants.js'
import { loadOrCreatePrivateKey } from '../peer-key.js'
import { TestCluster, waitFor } from './cluster-harness.js'
import { RawPeer } from './raw-peer.js'

const SECRET = 'backpressure-test-secret-0123456789'
let cluster: TestCluster
let stalledC: RawPeer
const pausedStreams: Stream[] = []

beforeAll(async () => {
  cluster = await TestCluster.create(['a', 'c'], { secret: SECRET, pinPeerIds: true, syncTimeoutMs: 60_000, suspectAfterMs: 60_000 })
  // c is a raw host on c's address with c's key: a dials it, and c never reads what a sends
  stalledC = await RawPeer.create({
    secret: SECRET,
    privateKey: await loadOrCreatePrivateKey(cluster.dataDir(1)),
    listen: `/ip4/127.0.0.1/tcp/${cluster.members[1]?.p2p.split(':')[1]}`,
  })
  await stalledC.node.handle(GOSSIP_PROTOCOL, (stream) => {
    stream.pause()
    pausedStreams.push(stream)
  })
  await cluster.start(0)
})

afterAll(async () => {
  await stalledC?.stop()
  await cluster?.close()
})

describe('gossip backpressure', () => {
  it(`a peer that stops reading is reset once ${MIN_PEER_WRITE_BUFFER_BYTES / 1024 / 1024} MiB are queued for it, then redialled`, async () => {
    const a = cluster.node(0)
    await waitFor(() => pausedStreams.length === 1 && a.gossip.members()[1]?.connectedSince != null, 10_000, 'a opening its stream to c')
    const MiB = 1024 * 1024
    // 3 keys of 1 MiB per flush: ~3 MiB deltas, under maxFrameBytes (4 MiB) each
    for (let flush = 0; flush < 8 && a.gossip.stats().slowPeerAborts === 0; flush++) {
      for (let k = 0; k < 3; k++) a.channel.set(`${flush}-${k}-${'x'.repeat(MiB - 16)}`, 1)
      a.gossip.flush()
    }
    expect(a.gossip.stats().slowPeerAborts).toBe(1)
    expect(a.gossip.stats().bytesOut).toBeLessThan(MIN_PEER_WRITE_BUFFER_BYTES + 4 * MiB)
    expect(a.logger.has('warn', 'slow gossip peer')).toBe(true)
    // c's handler can see the new stream a moment before a's side of it is open (and counted)
    await waitFor(() => pausedStreams.length === 2 && a.gossip.stats().reconnects === 1, 10_000, 'a redialling c')
    expect(a.gossip.stats().slowPeerAborts).toBe(1)
  })
})
