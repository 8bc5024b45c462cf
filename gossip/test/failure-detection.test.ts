// Failure detection against a real process: member c runs in a child (fixtures/gossip-node.ts) and is SIGKILLed or
// SIGSTOPped. a and b must mark it suspect after suspectAfterMs of silence, then down after twice that, and see it
// up (and synced both ways) when it returns.
import { afterEach, describe, expect, it } from 'vitest'
import type { MemberView } from '../index.js'
import { ChildNode } from './child-node.js'
import { TestCluster, waitFor, waitForAsync } from './cluster-harness.js'
import { MaxMapChannel } from './max-map-channel.js'

const SUSPECT_AFTER_MS = 1000
let cluster: TestCluster | undefined
const children: ChildNode[] = []

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()))
  await cluster?.close()
  cluster = undefined
})

function startChild(c: TestCluster): ChildNode {
  const { channels: _channels, logger: _logger, ...init } = c.init(2, new MaxMapChannel(), undefined as never)
  const child = new ChildNode(init)
  children.push(child)
  return child
}

/** Records the 'member' events a node emits about member `name`, with the time each arrived. */
function watch(c: TestCluster, i: number, name: string): Array<{ state: string; at: number; view: MemberView }> {
  const seen: Array<{ state: string; at: number; view: MemberView }> = []
  c.node(i).gossip.on('member', (m) => {
    if (m.name === name) seen.push({ state: m.state, at: Date.now(), view: m })
  })
  return seen
}

async function startClusterWithChild(): Promise<{ c: TestCluster; child: ChildNode }> {
  const c = await TestCluster.create(['a', 'b', 'c'], { secret: 'failure-test-secret-0123456789', pinPeerIds: true, suspectAfterMs: SUSPECT_AFTER_MS, syncTimeoutMs: 15_000 })
  await Promise.all([c.start(0), c.start(1)])
  const child = startChild(c)
  await child.waitLine((l) => l.event === 'ready', 20_000, 'c ready')
  await waitFor(() => c.stateOf(0, 2) === 'up' && c.stateOf(1, 2) === 'up', 10_000, 'a and b seeing c up')
  return { c, child }
}

describe('gossip failure detection', () => {
  it('a SIGKILLed member goes suspect then down; restarted, it is up and synced with its old peer id', async () => {
    const { c, child } = await startClusterWithChild()
    cluster = c
    child.send({ op: 'set', key: 'from-c', value: 1 })
    await waitFor(() => c.node(0).channel.get('from-c') === 1, 5000, 'c write reaching a')
    const firstPeerId = c.node(0).gossip.members()[2]?.peerId
    const events = watch(c, 0, 'c')
    const eventsB = watch(c, 1, 'c')

    child.signal('SIGKILL')
    await waitFor(() => events.some((e) => e.state === 'down') && eventsB.some((e) => e.state === 'down'), 10_000, 'a and b marking c down')
    const states = events.map((e) => e.state)
    expect(states.indexOf('suspect')).toBeGreaterThanOrEqual(0)
    expect(states.indexOf('suspect')).toBeLessThan(states.indexOf('down'))
    // the thresholds are measured from the last frame heard, not from the kill
    const suspect = events.find((e) => e.state === 'suspect')!
    const down = events.find((e) => e.state === 'down')!
    expect(suspect.at - (suspect.view.lastHeardAt as number)).toBeGreaterThanOrEqual(SUSPECT_AFTER_MS)
    expect(down.at - (down.view.lastHeardAt as number)).toBeGreaterThanOrEqual(2 * SUSPECT_AFTER_MS)
    await expect(c.node(0).gossip.request('c', 'anything', null, 1000)).rejects.toMatchObject({ code: 'MELIPROXY_ERR_GOSSIP_PEER_UNAVAILABLE' })

    // written while c is dead
    c.node(0).channel.set('while-dead', 7)
    c.node(0).gossip.flush()
    const restarted = startChild(c)
    const listening = await restarted.waitLine((l) => l.event === 'listening', 20_000, 'c listening again')
    expect(listening.peerId).toBe(firstPeerId)
    await restarted.waitLine((l) => l.event === 'ready', 20_000, 'restarted c ready')
    const dump = await restarted.dump()
    expect(dump.values).toMatchObject({ 'from-c': 1, 'while-dead': 7 })
    await waitFor(() => c.stateOf(0, 2) === 'up' && c.stateOf(1, 2) === 'up', 10_000, 'a and b seeing c up again')
    restarted.send({ op: 'set', key: 'after-restart', value: 3 })
    await waitFor(() => c.node(1).channel.get('after-restart') === 3, 5000, 'restarted c deltas reaching b')
  })

  it('a SIGSTOPped member goes suspect then down, and comes back up with what it missed when continued', async () => {
    const { c, child } = await startClusterWithChild()
    cluster = c
    const events = watch(c, 0, 'c')
    child.signal('SIGSTOP')
    try {
      await waitFor(() => events.some((e) => e.state === 'down'), 10_000, 'a marking the stopped c down')
      // 'connecting' may come first if the connection monitor cuts the connection before a second of silence
      expect(events.map((e) => e.state).filter((s) => s !== 'connecting').slice(0, 2)).toEqual(['suspect', 'down'])
      c.node(0).channel.set('while-stopped', 11)
      c.node(0).gossip.flush()
    } finally {
      child.signal('SIGCONT')
    }
    await waitFor(() => c.stateOf(0, 2) === 'up' && c.stateOf(1, 2) === 'up', 15_000, 'a and b seeing c up after SIGCONT')
    await waitForAsync(async () => (await child.dump()).values['while-stopped'] === 11, 10_000, 'c receiving what it missed')
  })

  it('a stall of our own event loop is not taken for silence of the others', async () => {
    const c = await TestCluster.create(['a', 'b'], { secret: 'failure-test-secret-0123456789', suspectAfterMs: SUSPECT_AFTER_MS })
    cluster = c
    await Promise.all([c.start(0), c.start(1)])
    await waitFor(() => c.stateOf(0, 1) === 'up' && c.stateOf(1, 0) === 'up', 10_000, 'a and b up')
    const aAboutB = watch(c, 0, 'b')
    const bAboutA = watch(c, 1, 'a')
    await new Promise((resolve) => setTimeout(resolve, 50))
    // a and b share this process: its event loop is busy for 1.5 × suspectAfterMs, so both stall at once and the
    // silence each would see is its own
    const busyUntil = Date.now() + 1.5 * SUSPECT_AFTER_MS
    while (Date.now() < busyUntil) {
      // spin
    }
    await new Promise((resolve) => setTimeout(resolve, 2 * SUSPECT_AFTER_MS))
    expect(aAboutB).toEqual([])
    expect(bAboutA).toEqual([])
    expect(c.stateOf(0, 1)).toBe('up')
    expect(c.stateOf(1, 0)).toBe('up')
  })
})
