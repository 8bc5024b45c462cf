// Request/response between members over the long-lived gossip streams: round trip, timeout, a handler that
// throws, size limits both ways, unknown methods, the in-flight limit, and calls to self.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_INBOUND_REQUESTS_PER_PEER } from '../constants.js'
import { REMOTE_CODE_BUSY, REMOTE_CODE_NO_HANDLER } from '../errors.js'
import { TestCluster, waitFor } from './cluster-harness.js'

const MAX_FRAME_BYTES = 64 * 1024
let cluster: TestCluster

beforeAll(async () => {
  cluster = await TestCluster.create(['a', 'b', 'c'], { secret: 'request-test-secret-0123456789', maxFrameBytes: MAX_FRAME_BYTES, syncTimeoutMs: 500 })
  await Promise.all([cluster.start(0), cluster.start(1)])
  await cluster.waitAllUp([0, 1]) // c never starts: ready comes from syncTimeoutMs, which says nothing about b
})

afterAll(async () => {
  await cluster?.close()
})

const a = () => cluster.node(0).gossip
const b = () => cluster.node(1).gossip

describe('gossip request/response', () => {
  it('round trip by name and by peer id, with the caller identified', async () => {
    b().handle('stats', async (from, body) => ({ from, echo: body, node: 'b' }))
    const body = { minutes: [1, 2, 3], nested: { ok: true }, text: 'héllo' }
    await expect(a().request('b', 'stats', body, 2000)).resolves.toEqual({ from: a().peerId, echo: body, node: 'b' })
    await expect(a().request(b().peerId, 'stats', null, 2000)).resolves.toMatchObject({ node: 'b', echo: null })
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => a().request('b', 'stats', i, 5000)))
    expect(many.map((r) => (r as { echo: number }).echo)).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })

  it('a request to self runs the local handler', async () => {
    a().handle('whoami', async (from) => from)
    await expect(a().request('a', 'whoami', null, 1000)).resolves.toBe(a().peerId)
  })

  it('times out with GossipTimeoutError when the handler does not answer in time', async () => {
    let release!: () => void
    b().handle('slow', () => new Promise((resolve) => { release = () => resolve('late') }))
    const err = await a().request('b', 'slow', null, 200).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'MELIPROXY_ERR_GOSSIP_TIMEOUT', peer: 'b', method: 'slow', timeoutMs: 200 })
    release() // the late response is ignored; the stream stays usable
    await expect(a().request('b', 'stats', 'after', 2000)).resolves.toMatchObject({ echo: 'after' })
  })

  it('a handler that throws returns an error response with its code; the host keeps serving', async () => {
    b().handle('broken', async () => {
      throw Object.assign(new Error('disk on fire'), { code: 'MELIPROXY_ERR_STATS_UNAVAILABLE' })
    })
    b().handle('sync-throw', (() => {
      throw new Error('thrown synchronously')
    }) as never)
    await expect(a().request('b', 'broken', null, 2000)).rejects.toMatchObject({
      code: 'MELIPROXY_ERR_GOSSIP_REMOTE',
      remoteCode: 'MELIPROXY_ERR_STATS_UNAVAILABLE',
      message: expect.stringContaining('disk on fire'),
    })
    await expect(a().request('b', 'sync-throw', null, 2000)).rejects.toMatchObject({ code: 'MELIPROXY_ERR_GOSSIP_REMOTE', remoteCode: undefined })
    await expect(a().request('b', 'nobody-handles-this', null, 2000)).rejects.toMatchObject({ remoteCode: REMOTE_CODE_NO_HANDLER })
    await expect(a().request('b', 'stats', 1, 2000)).resolves.toMatchObject({ echo: 1 })
    expect(cluster.stateOf(0, 1)).toBe('up')
  })

  it('bodies obey maxFrameBytes both ways', async () => {
    const big = 'x'.repeat(MAX_FRAME_BYTES + 1)
    await expect(a().request('b', 'stats', big, 2000)).rejects.toMatchObject({ code: 'MELIPROXY_ERR_GOSSIP_FRAME_TOO_LARGE' })
    b().handle('huge', async () => big)
    await expect(a().request('b', 'huge', null, 2000)).rejects.toMatchObject({
      code: 'MELIPROXY_ERR_GOSSIP_REMOTE',
      remoteCode: 'MELIPROXY_ERR_GOSSIP_FRAME_TOO_LARGE',
    })
    const justFits = 'y'.repeat(MAX_FRAME_BYTES - 200)
    await expect(a().request('b', 'stats', justFits, 2000)).resolves.toMatchObject({ echo: justFits })
    expect(a().stats().malformedFrames + b().stats().malformedFrames).toBe(0)
  })

  it(`at most ${MAX_INBOUND_REQUESTS_PER_PEER} requests from one member are handled at once; more are answered busy`, async () => {
    const releases: Array<() => void> = []
    b().handle('hold', () => new Promise((resolve) => releases.push(() => resolve('done'))))
    const held = Array.from({ length: MAX_INBOUND_REQUESTS_PER_PEER }, () => a().request('b', 'hold', null, 10_000))
    await expect(a().request('b', 'hold', null, 5000)).rejects.toMatchObject({ remoteCode: REMOTE_CODE_BUSY })
    expect(releases).toHaveLength(MAX_INBOUND_REQUESTS_PER_PEER)
    for (const release of releases) release()
    await expect(Promise.all(held)).resolves.toHaveLength(MAX_INBOUND_REQUESTS_PER_PEER)
    // the slots are free again
    const after = a().request('b', 'hold', null, 5000)
    await waitFor(() => releases.length === MAX_INBOUND_REQUESTS_PER_PEER + 1, 5000, 'the next request reaching the handler')
    releases[MAX_INBOUND_REQUESTS_PER_PEER]?.()
    await expect(after).resolves.toBe('done')
  })

  it('rejects at once for unknown members, members without a stream, and bad arguments', async () => {
    await expect(a().request('zed', 'stats', null, 1000)).rejects.toMatchObject({ code: 'MELIPROXY_ERR_GOSSIP_UNKNOWN_MEMBER' })
    await expect(a().request('c', 'stats', null, 1000)).rejects.toMatchObject({ code: 'MELIPROXY_ERR_GOSSIP_PEER_UNAVAILABLE' })
    await expect(a().request('b', '', null, 1000)).rejects.toMatchObject({ code: 'MELIPROXY_ERR_GOSSIP_ARGUMENT' })
    await expect(a().request('b', 'm'.repeat(65), null, 1000)).rejects.toMatchObject({ code: 'MELIPROXY_ERR_GOSSIP_ARGUMENT' })
    await expect(a().request('b', 'stats', null, 0)).rejects.toMatchObject({ code: 'MELIPROXY_ERR_GOSSIP_ARGUMENT' })
  })
})
