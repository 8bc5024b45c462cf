// The admin peer protocol without a network: this node's handlers (request limits, paging), the checks on what
// members answer, and the fan-out that lists members that fail, time out or answer garbage as missing.
import { describe, expect, it } from 'vitest'
import type { MemberView, RequestHandler } from '../../../gossip/index.js'
import type { Logger } from '../../logger.js'
import { encodeBucket } from '../../stats/bucket-codec.js'
import { MinuteAccumulator } from '../../stats/minute-accumulator.js'
import { alignTo, HOUR_MS, MINUTE_MS, type StatsBucket, type StatsQuery } from '../../stats/index.js'
import type { AdminNode } from '../admin-node.js'
import { ClusterQuery } from '../cluster-query.js'
import { MAX_RANGE_BUCKETS, PAGE_BUCKETS, parseStatsPage, parseTopLimited, PEER_METHOD, registerPeerHandlers } from '../peer-protocol.js'

const T0 = alignTo(1_764_201_600_000, 'hour')
const silent = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger

function bucket(node: string, start: number, requests: number, limitedKeys: Array<[string, string]> = []): StatsBucket {
  const acc = new MinuteAccumulator(start, 100)
  for (let i = 0; i < requests; i++) acc.record('ok2xx', 200, 10, 100 + i, 1000 + i * 37, 800)
  for (const [rule, key] of limitedKeys) acc.recordLimitedKey(rule, key)
  return acc.toBucket(node)
}

/** A node whose statistics are the given minute buckets, with its peer handlers registered on a fake gossip. */
function nodeWith(minutes: StatsBucket[], maxFrameBytes = 4 * 1024 * 1024): { handlers: Map<string, RequestHandler>; queries: StatsQuery[] } {
  const handlers = new Map<string, RequestHandler>()
  const queries: StatsQuery[] = []
  const node = {
    peerId: 'peer-a',
    startedAt: T0,
    ready: true,
    options: {
      now: () => T0 + 5000,
      config: { cluster: { gossip: { maxFrameBytes } } },
      node: { id: 'a', http: { host: '127.0.0.1', port: 1 }, admin: { host: '127.0.0.1', port: 2 }, p2p: { host: '::1', port: 3 } },
    },
    gossip: { handle: (method: string, h: RequestHandler) => handlers.set(method, h) },
    stats: {
      live: () => ({ requestsPerSecond: 12.5 }),
      query: async (q: StatsQuery) => {
        queries.push(q)
        if (q.resolution === 'hour') return [minutes.reduce((a, b) => ({ ...a, topLimited: [...a.topLimited, ...b.topLimited] }))]
        return minutes.filter((b) => b.start + MINUTE_MS > q.from && b.start < q.to)
      },
    },
  } as unknown as AdminNode
  registerPeerHandlers(node)
  return { handlers, queries }
}

describe('admin peer protocol: answering', () => {
  it('tells who this node is', async () => {
    const { handlers } = nodeWith([])
    expect(await handlers.get(PEER_METHOD.nodeInfo)!('someone', {})).toMatchObject({
      name: 'a',
      peerId: 'peer-a',
      startedAt: T0,
      uptimeMs: 5000,
      reqPerSec: 12.5,
      ready: true,
      addresses: { http: '127.0.0.1:1', admin: '127.0.0.1:2', p2p: '[::1]:3' },
    })
  })

  it('refuses stats requests outside its limits, naming the field', async () => {
    const { handlers } = nodeWith([])
    const stats = handlers.get(PEER_METHOD.stats)!
    const bad: Array<[unknown, RegExp]> = [
      [null, /body/],
      [{ from: T0, to: T0, resolution: 'minute' }, /body\.to: .* is not after from/],
      [{ from: T0, to: T0 + (MAX_RANGE_BUCKETS + 1) * MINUTE_MS, resolution: 'minute' }, /body\.to: .* spans more than 10080 buckets/],
      [{ from: T0, to: T0 + MINUTE_MS, resolution: 'day' }, /body\.resolution/],
      [{ from: -1, to: T0, resolution: 'minute' }, /body\.from/],
      [{ from: T0, to: T0 + HOUR_MS, resolution: 'minute', cursor: T0 + 2 * HOUR_MS }, /body\.cursor: .* is not inside the range/],
      [{ from: '0', to: T0, resolution: 'minute' }, /body\.from/],
    ]
    for (const [body, problem] of bad) {
      const err = await stats('someone', body).then(
        () => null,
        (e: unknown) => e as { code: string; message: string },
      )
      expect(err?.code, JSON.stringify(body)).toBe('MELIPROXY_ERR_ADMIN_PEER_REQUEST')
      expect(err?.message).toMatch(problem)
    }
    // A week of minutes is allowed.
    await expect(stats('someone', { from: T0, to: T0 + MAX_RANGE_BUCKETS * MINUTE_MS, resolution: 'minute' })).resolves.toBeDefined()
    const top = handlers.get(PEER_METHOD.topLimited)!
    await expect(top('someone', { from: T0, to: T0 + 1, limit: 0 })).rejects.toMatchObject({ code: 'MELIPROXY_ERR_ADMIN_PEER_REQUEST' })
    await expect(top('someone', { from: T0, to: T0 + 1, limit: 1001 })).rejects.toMatchObject({ code: 'MELIPROXY_ERR_ADMIN_PEER_REQUEST' })
  })

  it('pages long answers so that each fits in a frame, and the pages add up to the whole range', async () => {
    const minutes = Array.from({ length: 30 }, (_, i) => bucket('peer-a', T0 + i * MINUTE_MS, 200))
    const oneBucket = encodeBucket(minutes[0]!).length
    // Room for about four buckets per page.
    const { handlers } = nodeWith(minutes, Math.ceil((oneBucket * 4.5) / 0.75))
    const stats = handlers.get(PEER_METHOD.stats)!
    const request = { from: T0, to: T0 + 30 * MINUTE_MS, resolution: 'minute' as const }
    let page = parseStatsPage('a', request, await stats('someone', request))
    const got = [...page.buckets]
    let pages = 1
    while (page.next !== null) {
      const next = { ...request, cursor: page.next }
      page = parseStatsPage('a', next, await stats('someone', next))
      got.push(...page.buckets)
      pages++
    }
    expect(pages).toBeGreaterThanOrEqual(7)
    expect(got.map((b) => b.start)).toEqual(minutes.map((b) => b.start))
    expect(got.map((b) => b.total)).toEqual(minutes.map(() => 200))
    expect(got[3]!.latency.total).toEqual(minutes[3]!.latency.total)
  })

  it('splits a range longer than a page into pages of at most PAGE_BUCKETS', async () => {
    const { handlers, queries } = nodeWith([])
    const request = { from: T0, to: T0 + (PAGE_BUCKETS + 10) * MINUTE_MS, resolution: 'minute' as const }
    const first = parseStatsPage('a', request, await handlers.get(PEER_METHOD.stats)!('someone', request))
    expect(first.next).toBe(T0 + PAGE_BUCKETS * MINUTE_MS)
    expect(queries[0]).toEqual({ from: T0, to: T0 + PAGE_BUCKETS * MINUTE_MS, resolution: 'minute' })
  })

  it('answers the keys limited most over a range, from minutes or (for long ranges) hours', async () => {
    const minutes = [
      bucket('peer-a', T0, 1, [
        ['r', 'k1'],
        ['r', 'k1'],
        ['r', 'k2'],
      ]),
      bucket('peer-a', T0 + MINUTE_MS, 1, [['r', 'k1']]),
    ]
    const { handlers, queries } = nodeWith(minutes)
    const keys = parseTopLimited('a', await handlers.get(PEER_METHOD.topLimited)!('someone', { from: T0, to: T0 + 2 * MINUTE_MS, limit: 1 }))
    // A member sends more than asked (at least 100), so merging lists of several members stays close to exact.
    expect(keys).toEqual([
      { rule: 'r', key: 'k1', count: 3, error: 0 },
      { rule: 'r', key: 'k2', count: 1, error: 0 },
    ])
    await handlers.get(PEER_METHOD.topLimited)!('someone', { from: T0, to: T0 + 7 * HOUR_MS, limit: 5 })
    expect(queries.map((q) => q.resolution)).toEqual(['minute', 'hour'])
  })
})

describe('admin peer protocol: checking answers', () => {
  const request = { from: T0, to: T0 + 10 * MINUTE_MS, resolution: 'minute' as const }

  it('refuses stats pages that are not what was asked', () => {
    const minute = encodeBucket(bucket('x', T0, 1))
    const bad: unknown[] = [
      null,
      { buckets: 'x', next: null },
      { buckets: [new Uint8Array([1, 2, 3])], next: null },
      { buckets: [encodeBucket({ ...bucket('x', T0, 1), resolution: 'hour' })], next: null },
      { buckets: [encodeBucket(bucket('x', T0 + 20 * MINUTE_MS, 1))], next: null },
      { buckets: [encodeBucket(bucket('x', T0 - MINUTE_MS, 1))], next: null },
      { buckets: [minute], next: T0 },
      { buckets: [minute], next: T0 + 10 * MINUTE_MS },
      { buckets: Array.from({ length: PAGE_BUCKETS + 1 }, () => minute), next: null },
    ]
    for (const body of bad) expect(() => parseStatsPage('b', request, body), JSON.stringify(body)?.slice(0, 80)).toThrow(expect.objectContaining({ code: 'MELIPROXY_ERR_ADMIN_PEER_ANSWER' }))
    expect(parseStatsPage('b', request, { buckets: [minute], next: T0 + MINUTE_MS }).buckets).toHaveLength(1)
  })

  it('refuses top lists that are too long or hold the wrong types', () => {
    const entry = { rule: 'r', key: 'k', count: 1, error: 0 }
    for (const body of [
      { keys: Array.from({ length: 1001 }, () => entry) },
      { keys: [{ ...entry, count: -1 }] },
      { keys: [{ ...entry, key: 'k'.repeat(257) }] },
      { keys: [{ ...entry, count: '1' }] },
    ]) {
      expect(() => parseTopLimited('b', body)).toThrow(expect.objectContaining({ code: 'MELIPROXY_ERR_ADMIN_PEER_ANSWER' }))
    }
  })
})

describe('ClusterQuery', () => {
  function member(name: string, state: MemberView['state'] = 'up'): MemberView {
    return { name, peerId: `peer-${name}`, address: '127.0.0.1:1', state, lastHeardAt: null, lagMs: null, connectedSince: null, bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0 }
  }

  it('lists members that fail, answer garbage or do not answer in time as missing, and keeps the others', async () => {
    const behaviour: Record<string, (timeoutMs: number) => Promise<unknown>> = {
      a: async () => ({ keys: [{ rule: 'r', key: 'k', count: 2, error: 0 }] }),
      b: async () => {
        throw Object.assign(new Error('no open gossip stream'), { code: 'MELIPROXY_ERR_GOSSIP_PEER_UNAVAILABLE' })
      },
      c: async () => ({ keys: 'not a list' }),
      d: (timeoutMs) => new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${timeoutMs}`)), timeoutMs)),
      e: async () => ({ keys: [{ rule: 'r', key: 'k', count: 3, error: 0 }] }),
    }
    const gossip = {
      members: () => ['e', 'a', 'b', 'c', 'd'].map((n) => member(n)),
      request: (peer: string, _method: string, _body: unknown, timeoutMs: number) => behaviour[peer]!(timeoutMs),
    }
    const query = new ClusterQuery(gossip as never, silent, ['a', 'b', 'c', 'd', 'e'], 150)
    const result = await query.topLimited(query.membersInConfigOrder(), { from: T0, to: T0 + 1, limit: 5 })
    expect(result.answers.map((a) => [a.member.name, a.answer[0]!.count])).toEqual([
      ['a', 2],
      ['e', 3],
    ])
    expect(result.missing).toEqual(['b', 'c', 'd'])
  })

  it('follows stats pages to the end, and reports a member whose pages do not all arrive in time as missing', async () => {
    const minutes = Array.from({ length: 6 }, (_, i) => bucket('x', T0 + i * MINUTE_MS, i + 1))
    let slowPages = 0
    const gossip = {
      members: () => [member('a'), member('slow')],
      request: async (peer: string, _m: string, body: { cursor?: number }, timeoutMs: number) => {
        const start = body.cursor ?? T0
        const i = (start - T0) / MINUTE_MS
        const page = { buckets: minutes.slice(i, i + 2).map(encodeBucket), next: i + 2 < minutes.length ? T0 + (i + 2) * MINUTE_MS : null }
        if (peer === 'slow') {
          slowPages++
          // Each page comes quickly, but not all of them fit in the deadline.
          await new Promise((r) => setTimeout(r, Math.min(60, timeoutMs)))
        }
        return page
      },
    }
    const query = new ClusterQuery(gossip as never, silent, ['a', 'slow'], 100)
    const result = await query.stats(query.membersInConfigOrder(), { from: T0, to: T0 + 6 * MINUTE_MS, resolution: 'minute' })
    expect(result.answers).toHaveLength(1)
    expect(result.answers[0]!.answer.map((b) => b.total)).toEqual([1, 2, 3, 4, 5, 6])
    expect(result.missing).toEqual(['slow'])
    expect(slowPages).toBeLessThan(4)
  })
})
