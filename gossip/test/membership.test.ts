// Only members get in: a host with another secret fails pnet, an unlisted peer id fails the gater, and in a cluster
// without either a hello naming a non-member (or contradicting a pinned peer id) closes the connection. In every
// case no channel and no request handler of ours sees anything from the outsider.
import { afterEach, describe, expect, it } from 'vitest'
import { FrameType } from '../constants.js'
import { loadOrCreatePrivateKey } from '../peer-key.js'
import { TestCluster, waitFor } from './cluster-harness.js'
import { RawPeer } from './raw-peer.js'

const SECRET = 'membership-test-secret-0123456789'
let cluster: TestCluster | undefined
let outsider: RawPeer | undefined
/** Calls of a's 'probe' request handler: outsiders try it, nothing may reach it. */
let probeCalls = 0

afterEach(async () => {
  await outsider?.stop()
  outsider = undefined
  await cluster?.close()
  cluster = undefined
})

function portOf(c: TestCluster, i: number): number {
  return Number(c.members[i]?.p2p.split(':')[1])
}

async function startPair(options: Parameters<typeof TestCluster.create>[1]): Promise<TestCluster> {
  const c = await TestCluster.create(['a', 'b'], options)
  await Promise.all([c.start(0), c.start(1)])
  await c.waitAllUp([0, 1])
  probeCalls = 0
  c.node(0).gossip.handle('probe', async () => ++probeCalls)
  return c
}

/** What the outsider must not have reached on a. */
function expectUntouched(c: TestCluster, outsiderId: string): void {
  const a = c.node(0)
  expect(probeCalls).toBe(0)
  expect(a.channel.appliedFrom.has(outsiderId)).toBe(false)
  expect(a.channel.get('evil')).toBeUndefined()
  expect(a.gossip.members().some((m) => m.peerId === outsiderId)).toBe(false)
}

describe('gossip membership', () => {
  it('refuses a host with a different secret before any stream of ours opens', async () => {
    cluster = await startPair({ secret: SECRET })
    const c = cluster
    const inboundBefore = c.node(0).gossip.stats().inboundStreams
    outsider = await RawPeer.create({ secret: 'some-other-secret-0123456789' })
    await expect(outsider.open(portOf(c, 0), 3000)).rejects.toThrow()
    expect(c.node(0).gossip.stats().inboundStreams).toBe(inboundBefore)
    expectUntouched(c, outsider.peerId)
  })

  it('refuses a host without the secret', async () => {
    cluster = await startPair({ secret: SECRET })
    const c = cluster
    const inboundBefore = c.node(0).gossip.stats().inboundStreams
    outsider = await RawPeer.create()
    await expect(outsider.open(portOf(c, 0), 3000)).rejects.toThrow()
    expect(c.node(0).gossip.stats().inboundStreams).toBe(inboundBefore)
  })

  it('refuses an unlisted peer id (right secret) at the gater: no handler of ours runs', async () => {
    cluster = await startPair({ secret: SECRET, pinPeerIds: true })
    const c = cluster
    const inboundBefore = c.node(0).gossip.stats().inboundStreams
    outsider = await RawPeer.create({ secret: SECRET })
    // The gate runs after Noise: the dial may look open for a moment, then the connection is closed.
    const stream = await outsider.open(portOf(c, 0), 3000).catch(() => undefined)
    if (stream !== undefined) {
      stream.hello('b', outsider.peerId)
      await waitFor(() => stream.closed, 3000, 'the outsider stream to close')
    }
    await waitFor(() => outsider!.node.getConnections().length === 0, 3000, 'the outsider connection to close')
    expect(c.node(0).gossip.stats().inboundStreams).toBe(inboundBefore)
    expect(c.node(0).gossip.stats().rejectedPeers).toBe(0)
    expectUntouched(c, outsider.peerId)
    expect(c.stateOf(0, 1)).toBe('up')
  })

  it('closes the connection of a hello naming a non-member (no secret, no pinned ids)', async () => {
    cluster = await startPair({})
    const c = cluster
    outsider = await RawPeer.create()
    const stream = await outsider.open(portOf(c, 0))
    stream.hello('mallory', outsider.peerId)
    stream.sendFrame({ t: FrameType.Delta, ts: Date.now(), c: 'kv', p: new Uint8Array([0x91, 0x92, 0xa4, 0x65, 0x76, 0x69, 0x6c, 0x01]) })
    stream.sendFrame({ t: FrameType.Request, ts: Date.now(), id: 1, m: 'probe', p: null })
    await waitFor(() => stream.closed, 3000, 'the outsider stream to close')
    await waitFor(() => outsider!.node.getConnections().length === 0, 3000, 'the outsider connection to close')
    expect(c.node(0).gossip.stats().rejectedPeers).toBe(1)
    expect(stream.received).toHaveLength(0) // no response to the probe: the handler never ran
    expectUntouched(c, outsider.peerId)
    expect(c.node(0).logger.has('warn', 'gossip peer refused; closing its connection')).toBe(true)
  })

  it('closes the connection of a hello whose peer id contradicts the configured one, or the connection', async () => {
    // a and b pinned, c not: the allow-list is off, so hello checks are what keeps impostors out
    cluster = await TestCluster.create(['a', 'b', 'c'], { pinPeerIds: true })
    const c = cluster
    c.members[2] = { name: 'c', p2p: c.members[2]!.p2p }
    await c.start(0)
    outsider = await RawPeer.create()
    const impostor = await outsider.open(portOf(c, 0))
    impostor.hello('b', outsider.peerId) // b is pinned to another id
    await waitFor(() => impostor.closed, 3000, 'the impostor stream to close')
    await waitFor(() => outsider!.node.getConnections().length === 0, 3000, 'the impostor connection to close')

    const liar = await outsider.open(portOf(c, 0))
    liar.hello('c', c.members[1]!.peerId!) // claims someone else's peer id in its hello
    await waitFor(() => liar.closed, 3000, 'the liar stream to close')
    expect(c.node(0).gossip.stats().rejectedPeers).toBe(2)
    expectUntouched(c, outsider.peerId)
    expect(c.stateOf(0, 1)).toBe('connecting')
  })

  it('accepts a member impersonated with its real key only when its hello is right', async () => {
    cluster = await startPair({ secret: SECRET, pinPeerIds: true })
    const c = cluster
    await c.stop(1)
    // b's own key, as b would have it: this is b, so the gater lets it in; its hello must still name b
    outsider = await RawPeer.create({ secret: SECRET, privateKey: await loadOrCreatePrivateKey(c.dataDir(1)) })
    const wrongName = await outsider.open(portOf(c, 0))
    wrongName.hello('a', outsider.peerId)
    await waitFor(() => wrongName.closed, 3000, 'the wrong-name stream to close')
    const otherCluster = await outsider.open(portOf(c, 0))
    otherCluster.hello('b', outsider.peerId, ['kv'], 'another-cluster')
    await waitFor(() => otherCluster.closed, 3000, 'the other-cluster stream to close')
    expect(c.node(0).gossip.stats().rejectedPeers).toBe(2)
    const right = await outsider.open(portOf(c, 0))
    right.hello('b', outsider.peerId, [])
    await waitFor(() => c.stateOf(0, 1) === 'up', 3000, 'a accepting b')
    expect(right.closed).toBe(false)
  })
})
