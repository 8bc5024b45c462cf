// Every frame of a member is "heard" (onHeard), heartbeats included, and an idle member sends one tiny heartbeat per
// gossip tick, so a listener like the counters' budget split hears from every live peer about every intervalMs
// even when that peer has nothing to say. suspectAfterMs is long here: the old heartbeat period (suspectAfterMs/4,
// 15 s) cannot be what makes the idle peer heard.
import { afterEach, describe, expect, it } from 'vitest'
import type { MemberView } from '../index.js'
import { TestCluster, waitFor } from './cluster-harness.js'

const SECRET = 'heard-test-secret-0123456789'
let cluster: TestCluster | undefined

afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

describe('onHeard and per-tick heartbeats', () => {
  it('an idle member is heard on every tick through 5-byte heartbeats, and its deltas are heard too', async () => {
    const heard: Array<{ peerId: string; now: number }> = []
    cluster = await TestCluster.create(['a', 'b'], { secret: SECRET, intervalMs: 20, suspectAfterMs: 60_000, syncTimeoutMs: 10_000 })
    const c = cluster
    const a = await c.start(0, undefined, { onHeard: (peerId, now) => heard.push({ peerId, now }) })
    const b = await c.start(1)
    await c.waitAllUp([0, 1])
    const bView = (): MemberView => a.gossip.members()[1] as MemberView

    // idle: nothing changes on b; it must still be heard at least 25 times (≈ half a second of 20 ms ticks)
    const before = { heard: heard.length, ...bView() }
    const startedAt = Date.now()
    await waitFor(() => heard.length - before.heard >= 25, 10_000, 'a hearing the idle b 25 times')
    const finishedAt = Date.now()
    const after = bView()
    expect(new Set(heard.slice(before.heard).map((h) => h.peerId))).toEqual(new Set([b.gossip.peerId]))
    for (const h of heard.slice(before.heard)) {
      expect(h.now).toBeGreaterThanOrEqual(startedAt - 1000)
      expect(h.now).toBeLessThanOrEqual(finishedAt)
    }
    // what came meanwhile was heartbeats only, 5 bytes each, length prefix included
    const frames = after.framesIn - before.framesIn
    expect(frames).toBeGreaterThanOrEqual(25)
    expect(after.bytesIn - before.bytesIn).toBe(5 * frames)
    expect(b.channel.deltasApplied + a.channel.deltasApplied).toBe(0)

    // a delta is heard as well
    const beforeDelta = heard.length
    b.channel.set('k', 1)
    b.gossip.flush()
    await waitFor(() => a.channel.get('k') === 1, 5000, "b's delta reaching a")
    expect(heard.length).toBeGreaterThan(beforeDelta)
    expect(heard.at(-1)?.peerId).toBe(b.gossip.peerId)
  })

  it('an onHeard that throws is logged and changes nothing else', async () => {
    cluster = await TestCluster.create(['a', 'b'], { secret: SECRET, intervalMs: 20 })
    const c = cluster
    const a = await c.start(0, undefined, {
      onHeard: () => {
        throw new Error('listener bug')
      },
    })
    const b = await c.start(1)
    await c.waitAllUp([0, 1])
    b.channel.set('still', 2)
    await waitFor(() => a.channel.get('still') === 2, 5000, 'deltas still reaching a')
    expect(a.logger.has('error', 'onHeard threw')).toBe(true)
    expect(a.gossip.stats().malformedFrames).toBe(0)
    expect(c.stateOf(0, 1)).toBe('up')
  })
})
