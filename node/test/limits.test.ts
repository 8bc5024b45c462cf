// Rate limits as clients meet them, on one real node: who gets 429, with which headers, and who does not.
// Distinct client addresses are real: requests are sent from 127.0.0.x source addresses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { ClientsFrom } from '../testing/clients-from.js'
import { TestCluster } from '../testing/test-cluster.js'

let cluster: TestCluster
let proxy: string
const clients = new ClientsFrom()
const from = (address: string) => clients.agent(address)

async function get(path: string, address: string, headers: Record<string, string> = {}) {
  const res = await request(`${proxy}${path}`, { dispatcher: from(address), headers })
  const text = await res.body.text()
  return { status: res.statusCode, headers: res.headers, body: text }
}

beforeAll(async () => {
  cluster = await TestCluster.start({
    nodes: 1,
    rules: [
      { id: 'ip7-items', match: { ip: '127.0.0.7', path: '/items/*' }, limit: 10, per: 'minute' },
      { id: 'sites-shared', match: { path: '/sites/*' }, limit: 12, per: 'minute' },
      { id: 'users-shadow', match: { path: '/users/**' }, limit: 3, per: 'minute', mode: 'shadow' },
      { id: 'per-ip-search', match: { path: '/sites/*/search' }, by: ['ip'], limit: 5, per: 'minute' },
    ],
  })
  await cluster.waitReady()
  proxy = cluster.nodes[0]!.http
})

afterAll(async () => {
  await clients.close()
  await cluster?.close()
})

describe('limits on one node', () => {
  it('15 requests from 127.0.0.7 under a 10/minute ip+path rule: exactly 10 admitted, 5 get 429 with the headers', async () => {
    const results = []
    for (let i = 0; i < 15; i++) results.push(await get(`/items/MLA${1000 + i}`, '127.0.0.7'))
    expect(results.filter((r) => r.status === 200)).toHaveLength(10)
    const rejected = results.filter((r) => r.status === 429)
    expect(rejected).toHaveLength(5)
    for (const r of rejected) {
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1)
      expect(r.headers['ratelimit-policy']).toBe('"ip7-items";q=10;w=60')
      expect(r.headers.ratelimit).toMatch(/^"ip7-items";r=0;t=\d+$/)
      expect(r.headers['content-type']).toBe('application/json')
      const body = JSON.parse(r.body) as { error: string; rule: string; limit: number }
      expect(body).toMatchObject({ error: 'rate_limited', rule: 'ip7-items', limit: 10 })
    }
    // Admitted responses carry the tightest rule's headers, counting down.
    expect(results[0]!.headers.ratelimit).toMatch(/^"ip7-items";r=9;t=\d+$/)
    expect(results[9]!.headers.ratelimit).toMatch(/^"ip7-items";r=0;t=\d+$/)
  })

  it('another address is unaffected by that rule', async () => {
    for (let i = 0; i < 12; i++) expect((await get(`/items/MLA${2000 + i}`, '127.0.0.8')).status).toBe(200)
  })

  it('a path rule without `by` counts every client together', async () => {
    const statuses = []
    for (let i = 0; i < 16; i++) statuses.push((await get('/sites/MLA', `127.0.1.${(i % 4) + 1}`)).status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(12)
    expect(statuses.slice(12)).toEqual([429, 429, 429, 429])
  })

  it('a shadow rule never rejects', async () => {
    for (let i = 0; i < 8; i++) expect((await get(`/users/${100 + i}`, '127.0.0.9')).status).toBe(200)
  })

  it('`by: [ip]` gives every client its own counter; a spoofed X-Forwarded-For from an untrusted socket changes nothing', async () => {
    const from20 = []
    for (let i = 0; i < 7; i++) from20.push((await get('/sites/MLB/search?q=x', '127.0.2.20', { 'x-forwarded-for': `10.9.9.${i}` })).status)
    // sites-shared (12/min, already used up above by the /sites test) would reject everything under /sites/*,
    // so this path is outside it: /sites/MLB/search has 3 segments.
    expect(from20.filter((s) => s === 200)).toHaveLength(5)
    const from21 = []
    for (let i = 0; i < 5; i++) from21.push((await get('/sites/MLB/search?q=x', '127.0.2.21')).status)
    expect(from21).toEqual([200, 200, 200, 200, 200])
  })

  it('only admitted requests count: a client rejected by one rule does not use up another', async () => {
    // 127.0.0.7 is over ip7-items; its rejected /items requests were never counted by any other rule, and a
    // different path of the same client is still admitted.
    expect((await get('/categories/MLA5725', '127.0.0.7')).status).toBe(200)
  })
})

describe('trusted proxies', () => {
  let behind: TestCluster
  beforeAll(async () => {
    behind = await TestCluster.start({
      nodes: 1,
      trustedProxies: ['127.0.3.0/24'],
      rules: [{ id: 'per-client', by: ['ip'], limit: 2, per: 'minute' }],
    })
    await behind.waitReady()
  })
  afterAll(async () => behind?.close())

  it('believes X-Forwarded-For only from a trusted socket, taking the right-most untrusted entry', async () => {
    const url = `${behind.nodes[0]!.http}/__origin/echo`
    const send = async (address: string, xff: string) => {
      const res = await request(url, { dispatcher: from(address), headers: { 'x-forwarded-for': xff } })
      return { status: res.statusCode, echo: res.statusCode === 200 ? ((await res.body.json()) as { headers: Record<string, string> }) : (await res.body.dump(), null) }
    }
    // Through the trusted proxy 127.0.3.1: the client is 203.0.113.5 (the spoofed 1.1.1.1 left of it is ignored).
    const a = await send('127.0.3.1', '1.1.1.1, 203.0.113.5')
    expect(a.status).toBe(200)
    expect(a.echo!.headers['x-forwarded-for']).toBe('1.1.1.1, 203.0.113.5, 127.0.3.1')
    expect((await send('127.0.3.1', '9.9.9.9, 203.0.113.5')).status).toBe(200)
    expect((await send('127.0.3.2', '203.0.113.5')).status).toBe(429) // same client, third request
    expect((await send('127.0.3.1', '203.0.113.6')).status).toBe(200) // another client behind the same proxy
    // From an untrusted socket the header is ignored: the socket address is the client.
    expect((await send('127.0.4.1', '203.0.113.7')).status).toBe(200)
    expect((await send('127.0.4.1', '203.0.113.8')).status).toBe(200)
    expect((await send('127.0.4.1', '203.0.113.9')).status).toBe(429)
  })
})
