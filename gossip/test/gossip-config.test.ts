// createGossip refuses invalid settings, naming the field, the bad value and what is allowed.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createGossip, loadOrCreatePeerId, type GossipInit } from '../index.js'
import { CapturingLogger } from './cluster-harness.js'
import { MaxMapChannel } from './max-map-channel.js'

let dir: string | undefined
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  dir = undefined
})

async function base(): Promise<GossipInit> {
  dir = await mkdtemp(join(tmpdir(), 'meliproxy-config-'))
  return {
    self: { name: 'a', p2p: '127.0.0.1:7001' },
    members: [{ name: 'a', p2p: '127.0.0.1:7001' }, { name: 'b', p2p: '127.0.0.1:7002' }],
    dataDir: dir,
    intervalMs: 20,
    suspectAfterMs: 1000,
    syncTimeoutMs: 3000,
    maxFrameBytes: 4 * 1024 * 1024,
    channels: { kv: new MaxMapChannel() },
    logger: new CapturingLogger('config'),
  }
}

async function problems(init: GossipInit): Promise<string[]> {
  const err = await createGossip(init).then(() => undefined, (e: unknown) => e)
  expect(err).toMatchObject({ code: 'MELIPROXY_ERR_GOSSIP_CONFIG' })
  return (err as { problems: string[] }).problems
}

describe('gossip configuration', () => {
  it('names each bad field', async () => {
    const init = await base()
    expect(await problems({ ...init, channels: { ['x'.repeat(33)]: new MaxMapChannel() } })).toEqual([
      `channels: name "${'x'.repeat(33)}" is not 1–32 characters`,
    ])
    expect(await problems({ ...init, members: [...init.members, { name: 'c', p2p: 'nowhere' }] })).toEqual([
      'members[2].p2p: "nowhere" is not a "host:port" address with a port from 1 to 65535',
    ])
    expect(await problems({ ...init, members: [...init.members, { name: 'b', p2p: '127.0.0.1:7003' }] })).toEqual([
      'members: name "b" appears more than once',
    ])
    expect(await problems({ ...init, self: { name: 'z', p2p: '127.0.0.1:7009' } })).toEqual(['self.name: "z" is not one of the members\' names'])
    expect(await problems({ ...init, intervalMs: 0, maxFrameBytes: 10 })).toEqual([
      'intervalMs: 0 is not an integer from 1 to 60000',
      'maxFrameBytes: 10 is not an integer from 1024 to 268435456',
    ])
    expect(await problems({ ...init, members: [init.members[0]!, { name: 'b', p2p: '127.0.0.1:7002', peerId: 'not-a-peer-id' }] })).toEqual([
      'members[1].peerId: "not-a-peer-id" is not a libp2p peer id',
    ])
    expect(await problems({ ...init, channels: { kv: { takeDelta: () => undefined } as never } })).toEqual([
      'channels.kv: is not a ReplicatedChannel (takeDelta, pendingSize, applyDelta, snapshot, applySnapshot)',
    ])
    expect(await problems({ ...init, onHeard: 'counters' as never })).toEqual(['onHeard: is not a function (peerId, now) => void'])
  })

  it('refuses a self.peerId that is not the key in dataDir', async () => {
    const init = await base()
    const other = await mkdtemp(join(tmpdir(), 'meliproxy-config-other-'))
    try {
      const otherId = await loadOrCreatePeerId(other)
      const err = await createGossip({ ...init, self: { ...init.self, peerId: otherId }, members: [{ ...init.members[0]!, peerId: otherId }, init.members[1]!] }).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'MELIPROXY_ERR_GOSSIP_CONFIG' })
      expect((err as Error).message).toContain(`self.peerId: "${otherId}" is not this node's peer id`)
    } finally {
      await rm(other, { recursive: true, force: true })
    }
  })
})
