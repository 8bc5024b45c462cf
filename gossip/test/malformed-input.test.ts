// Bad input from the network closes the offending stream, is counted, and nothing else: the host keeps serving
// its other peers, and the peer's next stream is accepted. Members a and b are real hosts; member c is played by a
// raw libp2p host holding c's key, so it passes pnet and the gater and can send anything.
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { pack } from 'msgpackr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FrameType, HELLO_TIMEOUT_MS } from '../constants.js'
import { loadOrCreatePrivateKey } from '../peer-key.js'
import { TestCluster, waitFor } from './cluster-harness.js'
import { RawPeer, type RawStream } from './raw-peer.js'

const SECRET = 'malformed-test-secret-0123456789'
let cluster: TestCluster
let fakeC: RawPeer
let round = 0
/** Each connection of c carries a higher value, so a's max-map shows which snapshot it applied last. */
let cValue = 0

beforeAll(async () => {
  cluster = await TestCluster.create(['a', 'b', 'c'], { secret: SECRET, pinPeerIds: true, syncTimeoutMs: 1000 })
  await Promise.all([cluster.start(0), cluster.start(1)])
  await cluster.waitAllUp([0, 1])
  fakeC = await RawPeer.create({ secret: SECRET, privateKey: await loadOrCreatePrivateKey(cluster.dataDir(2)) })
})

afterAll(async () => {
  await fakeC?.stop()
  await cluster?.close()
})

const aPort = (): number => Number(cluster.members[0]?.p2p.split(':')[1])

/** c connects to a as a correct member would: hello, then a snapshot; a must see it up. */
async function connectAsC(): Promise<RawStream> {
  const value = ++cValue
  const stream = await fakeC.open(aPort())
  stream.hello('c', fakeC.peerId)
  stream.sendFrame({ t: FrameType.Snapshot, ts: Date.now(), c: 'kv', p: pack([['from-c', value]]) })
  await waitFor(() => cluster.stateOf(0, 2) === 'up' && cluster.node(0).channel.get('from-c') === value, 5000, 'a seeing c up and synced')
  return stream
}

/** a still serves b: a fresh write on b reaches a. */
async function expectAStillServesB(): Promise<void> {
  round++
  cluster.node(1).channel.set('from-b', round)
  await waitFor(() => cluster.node(0).channel.get('from-b') === round, 5000, 'a write of b reaching a')
  expect(cluster.stateOf(0, 1)).toBe('up')
}

/** Sends bad bytes from c; a must close that stream, count it, keep serving b, then accept c's next stream. */
async function expectRejectedThenRecovered(send: (s: RawStream) => void): Promise<void> {
  const stream = await connectAsC()
  const malformedBefore = cluster.node(0).gossip.stats().malformedFrames
  send(stream)
  await waitFor(() => stream.closed, 5000, 'a closing the offending stream')
  expect(cluster.node(0).gossip.stats().malformedFrames).toBe(malformedBefore + 1)
  await expectAStillServesB()
  const again = await connectAsC()
  expect(again.closed).toBe(false)
}

describe('gossip under malformed input', () => {
  it('an oversized frame (prefix says 100 MB) is refused from its prefix alone', async () => {
    await expectRejectedThenRecovered((s) => s.sendRaw(new Uint8Array([0x80, 0xc2, 0xd7, 0x2f, 0x01, 0x00]))) // varint 100,000,000
    expect(cluster.node(0).logger.has('warn', 'malformed gossip frame; closing the stream')).toBe(true)
  })

  it('a length prefix that never ends is refused', async () => {
    await expectRejectedThenRecovered((s) => s.sendRaw(new Uint8Array(16).fill(0xff)))
  })

  it('an envelope that is not a msgpack map, or has an unknown type, is refused', async () => {
    await expectRejectedThenRecovered((s) => s.sendRaw(new Uint8Array([4, 0xc1, 0xc1, 0xc1, 0xc1])))
    await expectRejectedThenRecovered((s) => {
      const body = pack([1, 2, 3])
      s.sendRaw(new Uint8Array([body.length, ...body]))
    })
    await expectRejectedThenRecovered((s) => {
      const body = pack({ t: 99, ts: Date.now() })
      s.sendRaw(new Uint8Array([body.length, ...body]))
    })
  })

  it('a frame for an unknown channel is refused', async () => {
    await expectRejectedThenRecovered((s) => s.sendFrame({ t: FrameType.Delta, ts: Date.now(), c: 'nope', p: pack([['x', 1]]) }))
    expect(cluster.node(0).channel.get('x')).toBeUndefined()
  })

  it('a frame the channel rejects (applyDelta throws) closes the stream; the peer reconnects and its state arrives by anti-entropy', async () => {
    await expectRejectedThenRecovered((s) => s.sendFrame({ t: FrameType.Delta, ts: Date.now(), c: 'kv', p: pack({ not: 'a list' }) }))
    // now with two real hosts: b's own stream is closed by a, b redials by itself
    const a = cluster.node(0)
    const b = cluster.node(1)
    const malformedBefore = a.gossip.stats().malformedFrames
    const reconnectsBefore = b.gossip.stats().reconnects
    a.channel.poison('boom')
    b.channel.set('boom', 42)
    b.gossip.flush()
    await waitFor(() => a.gossip.stats().malformedFrames === malformedBefore + 1, 5000, 'a rejecting the poisoned delta')
    // the rejected delta is not lost: b's snapshot on its new stream carries it
    await waitFor(() => a.channel.get('boom') === 42, 5000, 'boom arriving with b snapshot')
    expect(b.gossip.stats().reconnects).toBe(reconnectsBefore + 1)
    await waitFor(() => cluster.stateOf(0, 1) === 'up', 5000, 'a seeing b up again')
    await expectAStillServesB()
  })

  it('frames before the hello, and a second hello, are refused', async () => {
    await expectRejectedThenRecovered((s) => s.hello('c', fakeC.peerId))
    const stream = await fakeC.open(aPort())
    const malformedBefore = cluster.node(0).gossip.stats().malformedFrames
    stream.sendFrame({ t: FrameType.Snapshot, ts: Date.now(), c: 'kv', p: pack([['early', 1]]) })
    await waitFor(() => stream.closed, 5000, 'a closing a stream that skipped its hello')
    expect(cluster.node(0).gossip.stats().malformedFrames).toBe(malformedBefore + 1)
    expect(cluster.node(0).channel.get('early')).toBeUndefined()
  })

  it('garbage bytes on the raw TCP port are dropped and the host keeps serving', async () => {
    const [host, port] = (cluster.members[0]?.p2p as string).split(':') as [string, string]
    const socket = connect(Number(port), host)
    let closed = false
    socket.on('close', () => {
      closed = true
    })
    socket.on('error', () => undefined)
    socket.write(randomBytes(64 * 1024))
    await waitFor(() => closed, 5000, 'a closing the garbage connection')
    await expectAStillServesB()
    await connectAsC()
  })

  it(`a stream that never says hello is closed after ${HELLO_TIMEOUT_MS} ms`, async () => {
    const rejectedBefore = cluster.node(0).gossip.stats().rejectedPeers
    const stream = await fakeC.open(aPort())
    stream.sendRaw(new Uint8Array([100, 1, 2, 3])) // a partial frame, then silence
    await waitFor(() => stream.closed, HELLO_TIMEOUT_MS + 3000, 'a closing the silent stream')
    expect(cluster.node(0).gossip.stats().rejectedPeers).toBe(rejectedBefore + 1)
    await expectAStillServesB()
  })
})
