// Real hosts on loopback: deltas flow every way, a restarted node recovers everything by anti-entropy before it is
// ready, readiness waits for sync but not for a member that never comes up, run-time joins persist.
import { createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createGossip, type MemberView } from '../index.js'
import { CapturingLogger, TestCluster, freePorts, waitFor } from './cluster-harness.js'
import { MaxMapChannel } from './max-map-channel.js'

const SECRET = 'convergence-test-secret-0123456789'
let cluster: TestCluster | undefined

afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

describe('gossip convergence', () => {
  it('three hosts converge with deltas flowing both ways, and see each other up', async () => {
    cluster = await TestCluster.create(['a', 'b', 'c'], { secret: SECRET, pinPeerIds: true })
    const c = cluster
    await Promise.all([0, 1, 2].map((i) => c.start(i)))
    await Promise.all([0, 1, 2].map((i) => c.node(i).gossip.whenReady()))
    await c.waitAllUp([0, 1, 2])
    // every node writes; every node must see every write
    for (let round = 1; round <= 20; round++) {
      for (const i of [0, 1, 2]) c.node(i).channel.set(`${c.node(i).name}-${round % 5}`, round)
    }
    c.node(0).channel.set('shared', 7)
    c.node(2).channel.set('shared', 9)
    await waitFor(
      () => [0, 1, 2].every((i) => c.node(i).channel.values.size === 16 && c.node(i).channel.get('shared') === 9),
      5000,
      'all 16 keys everywhere',
    )
    for (const i of [0, 1, 2]) {
      expect(c.node(i).channel.get('a-0')).toBe(20)
      expect(c.node(i).channel.get('c-4')).toBe(19)
    }
    const view = c.node(0).gossip.members()[1] as MemberView
    expect(view.peerId).toBe(c.members[1]?.peerId)
    expect(view.framesIn).toBeGreaterThan(0)
    expect(view.bytesOut).toBeGreaterThan(0)
    expect(view.lagMs).not.toBeNull()
    expect(view.connectedSince).not.toBeNull()
    const stats = c.node(0).gossip.stats()
    expect(stats.malformedFrames).toBe(0)
    expect(stats.bytesIn).toBeGreaterThan(0)
  })

  it('a restarted host keeps its peer id and gets the others state by anti-entropy before ready', async () => {
    cluster = await TestCluster.create(['a', 'b', 'c'], { secret: SECRET })
    const c = cluster
    await Promise.all([0, 1, 2].map((i) => c.start(i)))
    await Promise.all([0, 1, 2].map((i) => c.node(i).gossip.whenReady()))
    c.node(2).channel.set('own', 5)
    c.node(2).gossip.flush()
    await waitFor(() => c.node(0).channel.get('own') === 5, 5000, 'c write reaching a')
    const firstPeerId = c.node(2).gossip.peerId
    await c.stop(2)
    // written while c is away: it can only learn these by anti-entropy
    c.node(0).channel.set('while-away-a', 1)
    c.node(1).channel.set('while-away-b', 2)
    c.node(0).gossip.flush()
    c.node(1).gossip.flush()

    const restarted = await c.start(2) // fresh, empty channel; same dataDir
    expect(restarted.gossip.peerId).toBe(firstPeerId)
    expect(restarted.gossip.ready).toBe(false)
    await restarted.gossip.whenReady()
    // ready means synced: everything is there at that moment, without waiting further
    expect(restarted.channel.get('while-away-a')).toBe(1)
    expect(restarted.channel.get('while-away-b')).toBe(2)
    expect(restarted.channel.get('own')).toBe(5) // its own slot, recovered from its peers
    expect(restarted.logger.entries.some((e) => e.msg === 'gossip ready' && e.level === 'info')).toBe(true)
    await waitFor(() => c.stateOf(0, 2) === 'up' && c.stateOf(1, 2) === 'up', 5000, 'a and b seeing c up again')
    expect(c.node(0).gossip.members()[2]?.peerId).toBe(firstPeerId)
  })

  it('ready waits for sync with a member that comes up late, and is declared after syncTimeoutMs when one never does', async () => {
    cluster = await TestCluster.create(['a', 'b', 'c'], { secret: SECRET, syncTimeoutMs: 4000 })
    const c = cluster
    const a = await c.start(0)
    expect(a.gossip.ready).toBe(false)
    const b = await c.start(1)
    await waitFor(() => c.stateOf(0, 1) === 'up', 5000, 'a seeing b up')
    // b is synced, c never started: not ready until the timeout
    expect(a.gossip.ready).toBe(false)
    const startedWaiting = Date.now()
    await a.gossip.whenReady()
    await b.gossip.whenReady()
    expect(Date.now() - startedWaiting).toBeGreaterThan(1000)
    expect(a.logger.entries.find((e) => e.msg === 'gossip ready')?.obj).toMatchObject({ synced: ['b'], missing: ['c'] })
    expect(c.stateOf(0, 2)).toBe('down')
  })

  it('a single-member cluster is ready at once', async () => {
    cluster = await TestCluster.create(['solo'])
    const solo = await cluster.start(0)
    expect(solo.gossip.ready).toBe(true)
    await solo.gossip.whenReady()
    expect(solo.gossip.members()).toHaveLength(1)
  })

  it('start() rejects with GossipListenError when the port is taken', async () => {
    cluster = await TestCluster.create(['a', 'b'])
    const [host, port] = (cluster.members[0]?.p2p as string).split(':') as [string, string]
    const squatter = createServer()
    await new Promise<void>((resolve) => squatter.listen(Number(port), host, resolve))
    try {
      const gossip = await createGossip(cluster.init(0, new MaxMapChannel(), new CapturingLogger('a')))
      const err = await gossip.start().then(() => undefined, (e: unknown) => e)
      expect(err).toMatchObject({ code: 'MELIPROXY_ERR_GOSSIP_LISTEN' })
      expect((err as Error).message).toContain('address already in use')
      await gossip.stop()
    } finally {
      await new Promise((resolve) => squatter.close(resolve))
    }
  })

  it('a member added at run time is dialled, synced, and remembered across a restart', async () => {
    cluster = await TestCluster.create(['a', 'b', 'c'], { secret: SECRET })
    const c = cluster
    const newcomer = c.members[2]!
    // a and b start knowing only each other; c knows all three
    const initFor = (i: number, channel: MaxMapChannel, logger: CapturingLogger) => ({ ...c.init(i, channel, logger), members: c.members.slice(0, 2) })
    const aChannel = new MaxMapChannel()
    const aLogger = new CapturingLogger('a')
    const a = await createGossip(initFor(0, aChannel, aLogger))
    const bChannel = new MaxMapChannel()
    const b = await createGossip(initFor(1, bChannel, new CapturingLogger('b')))
    await a.start()
    await b.start()
    const cNode = await c.start(2)
    try {
      await a.whenReady()
      aChannel.set('from-a', 1)
      const [unusedPort] = await freePorts(1)
      // two joins at once: both must be remembered
      await Promise.all([a.addMember(newcomer), a.addMember({ name: 'd', p2p: `127.0.0.1:${unusedPort}` })])
      await b.addMember(newcomer)
      await expect(a.addMember(newcomer)).rejects.toMatchObject({ code: 'MELIPROXY_ERR_GOSSIP_CONFIG' })
      await waitFor(() => a.members()[2]?.state === 'up' && b.members()[2]?.state === 'up', 8000, 'a and b seeing c up')
      await waitFor(() => cNode.channel.get('from-a') === 1, 5000, 'a state reaching c')
      cNode.channel.set('from-c', 3)
      await waitFor(() => aChannel.get('from-c') === 3 && bChannel.get('from-c') === 3, 5000, 'c deltas reaching a and b')
      await a.stop()
      // a restarts from the same config (without c): it still knows c from its data directory
      const again = await createGossip(initFor(0, new MaxMapChannel(), new CapturingLogger('a2')))
      try {
        expect(again.members().map((m) => m.name)).toEqual(['a', 'b', 'c', 'd'])
        await again.start()
        await waitFor(() => again.members()[2]?.state === 'up', 8000, 'restarted a seeing c up')
      } finally {
        await again.stop()
      }
    } finally {
      await a.stop()
      await b.stop()
    }
  })
})
