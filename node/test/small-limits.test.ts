// Small limits met by ONE client sending one request at a time across three real nodes: the budget split must not
// refuse while the cluster still has budget for long (a node whose requests were all refused once got no part of
// the budget at all, and a client alternating between nodes was held to 1–3 of a 5/hour limit).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ClientsFrom } from '../testing/clients-from.js'
import { startOfFreshWindow, TestCluster } from '../testing/test-cluster.js'

const clients = new ClientsFrom()
const status = (url: string, address: string) => clients.status(url, address)

/**
 * `count` requests one after another (each waits for the previous response, then PAUSE_MS), request i to node
 * order[i % length]. The pause makes the client realistic for a small limit (tens of requests a second, not a
 * tight loop): near a limit a node splits again only once its peers' news has had time to arrive (node/urgent-lag.ts),
 * and a client faster than that may be refused early; those refusals are printed, the total is asserted.
 */
const PAUSE_MS = 25
async function sequential(cluster: TestCluster, order: number[], count: number, path: (i: number) => string, address: string): Promise<number[]> {
  const statuses: number[] = []
  for (let i = 0; i < count; i++) {
    statuses.push(await status(`${cluster.nodes[order[i % order.length]!]!.http}${path(i)}`, address))
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS))
  }
  return statuses
}

const admitted = (s: number[]) => s.filter((x) => x === 200).length
/** 429s answered while fewer than `limit` requests had been admitted (a single exact limiter would have admitted them). */
const early429s = (s: number[], limit: number) => {
  let ok = 0
  let early = 0
  for (const x of s) {
    if (x === 200) ok++
    else if (x === 429 && ok < limit) early++
  }
  return early
}

let cluster: TestCluster

beforeAll(async () => {
  cluster = await TestCluster.start({
    nodes: 3,
    rules: [
      // One client address per test, so each test has its own key.
      { id: 'rr-hour', match: { ip: '127.0.4.1', path: '/items/*' }, limit: 5, per: 'hour' },
      { id: 'alternate-hour', match: { ip: '127.0.4.2', path: '/items/*' }, limit: 5, per: 'hour' },
      { id: 'pinned-hour', match: { ip: '127.0.4.3', path: '/items/*' }, limit: 5, per: 'hour' },
      { id: 'per-ip-minute', match: { path: '/categories/*' }, by: ['ip'], limit: 5, per: 'minute' },
    ],
  })
  await cluster.waitReady()
}, 90_000)

afterAll(async () => {
  await clients.close()
  await cluster?.close()
})

describe('one sequential client, a small limit, three nodes', () => {
  it('5/hour, 16 requests round robin over n1, n2, n3: exactly 5 admitted', async () => {
    const statuses = await sequential(cluster, [0, 1, 2], 16, (i) => `/items/MLA${100 + i}`, '127.0.4.1')
    console.log(`round robin n1 n2 n3, 5/hour: ${statuses.join(' ')} (early 429s: ${early429s(statuses, 5)})`)
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([])
    expect(admitted(statuses)).toBe(5)
  })

  it('5/hour, 16 requests alternating n2 and n3: exactly 5 admitted', async () => {
    const statuses = await sequential(cluster, [1, 2], 16, (i) => `/items/MLA${200 + i}`, '127.0.4.2')
    console.log(`alternating n2 n3, 5/hour: ${statuses.join(' ')} (early 429s: ${early429s(statuses, 5)})`)
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([])
    expect(admitted(statuses)).toBe(5)
  })

  it('5/hour, 16 requests all to n3: exactly 5 admitted', async () => {
    const statuses = await sequential(cluster, [2], 16, (i) => `/items/MLA${300 + i}`, '127.0.4.3')
    console.log(`pinned to n3, 5/hour: ${statuses.join(' ')} (early 429s: ${early429s(statuses, 5)})`)
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([])
    expect(admitted(statuses)).toBe(5)
  })

  it('5/minute per IP, 16 requests from one address round robin over the three nodes: exactly 5 admitted', async () => {
    await startOfFreshWindow(60_000, 10_000)
    const statuses = await sequential(cluster, [0, 1, 2], 16, (i) => `/categories/MLA${500 + i}`, '127.0.4.4')
    console.log(`per-ip round robin, 5/minute: ${statuses.join(' ')} (early 429s: ${early429s(statuses, 5)})`)
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([])
    expect(admitted(statuses)).toBe(5)
  })
})
