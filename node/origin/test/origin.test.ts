import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Agent, request, type Dispatcher } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { deterministicBytes, startOrigin, TEST_ENDPOINT_LIMITS, type Origin } from '../index.js'
import { rawExchange, responseComplete } from '../../testing/raw-http.js'

const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/meli/categories/', import.meta.url))
const FIXTURE_BODY = readFileSync(`${FIXTURE_DIR}MLA97994.json`)
const FIXTURE_HEADERS = readFileSync(`${FIXTURE_DIR}MLA97994.headers`, 'latin1')
  .split(/\r?\n/)
  .slice(1)
  .filter((l) => l.includes(':'))
  .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as const)

let origin: Origin
let agent: Agent

beforeAll(async () => {
  origin = await startOrigin({ port: 0 })
  agent = new Agent({ keepAliveTimeout: 10_000, connections: 16 })
})

afterAll(async () => {
  await agent.close()
  await origin.close()
})

beforeEach(() => {
  origin.events.reset()
})

async function get(path: string, opts: { method?: Dispatcher.HttpMethod; headers?: Record<string, string>; body?: Buffer | string } = {}) {
  const res = await request(`${origin.url}${path}`, { dispatcher: agent, method: opts.method ?? 'GET', headers: opts.headers, body: opts.body })
  const body = Buffer.from(await res.body.arrayBuffer())
  return { status: res.statusCode, headers: res.headers, body }
}

function json(body: Buffer): Record<string, unknown> {
  return JSON.parse(body.toString('utf8')) as Record<string, unknown>
}

function expectMeliError(r: { status: number; body: Buffer; headers: Record<string, unknown> }, status: number, error: string): void {
  expect(r.status).toBe(status)
  expect(r.headers['content-type']).toBe('application/json; charset=utf-8')
  const b = json(r.body)
  expect(Object.keys(b).sort()).toEqual(['cause', 'error', 'message', 'status'])
  expect(b).toMatchObject({ error, status, cause: [] })
  expect(typeof b.message).toBe('string')
}

describe('Meli routes', () => {
  it('serves /categories/MLA97994 byte for byte from the fixture, with its headers', async () => {
    const r = await get('/categories/MLA97994')
    expect(r.status).toBe(200)
    expect(r.body.equals(FIXTURE_BODY)).toBe(true)
    for (const [name, value] of FIXTURE_HEADERS) {
      if (name === 'date') continue // uWS writes the current date
      expect(r.headers[name], name).toBe(value)
    }
    expect(r.headers['content-length']).toBe(String(FIXTURE_BODY.length))
    expect(r.headers.uwebsockets).toBeUndefined()
  })

  it('generates the same bytes for the same id and different bytes for another id', async () => {
    for (const path of ['/categories/MLA1055', '/items/MLA600000123', '/sites/MLB', '/users/202593498', '/sites/MLA/search?q=iphone%2013']) {
      const a = await get(path)
      const b = await get(path)
      expect(a.status, path).toBe(200)
      expect(a.body.equals(b.body), path).toBe(true)
      expect(a.headers['x-request-id']).toBe(b.headers['x-request-id'])
    }
    const one = await get('/items/MLA1')
    const two = await get('/items/MLA2')
    expect(one.body.equals(two.body)).toBe(false)
    expect(one.headers['x-request-id']).not.toBe(two.headers['x-request-id'])
  })

  it('answers in Meli shapes with Meli-like headers and sizes between 0.5 and 4 KB', async () => {
    const item = await get('/items/MLB123456789')
    expect(json(item.body)).toMatchObject({ id: 'MLB123456789', site_id: 'MLB', currency_id: 'BRL' })
    expect(json(item.body)).toHaveProperty('seller_address.country.id', 'BR')
    const category = json((await get('/categories/MCO1234')).body)
    expect(category).toMatchObject({ id: 'MCO1234', attribute_types: 'attributes' })
    expect((category.path_from_root as Array<{ id: string }>).at(-1)?.id).toBe('MCO1234')
    expect(json((await get('/sites/MLM')).body)).toMatchObject({ id: 'MLM', country_id: 'MX', default_currency_id: 'MXN' })
    expect(json((await get('/users/123')).body)).toMatchObject({ id: 123 })
    const search = json((await get('/sites/MLA/search?q=zapatillas&limit=5&offset=10')).body)
    expect(search).toMatchObject({ site_id: 'MLA', query: 'zapatillas', paging: { offset: 10, limit: 5 } })
    expect((search.results as unknown[]).length).toBeLessThanOrEqual(5)

    const sizes: number[] = []
    for (let i = 1; i <= 40; i++) {
      for (const path of [`/items/MLA${i * 7919}`, `/categories/MLA${i * 104729}`, `/users/${i * 7777}`]) {
        const r = await get(path)
        expect(r.status).toBe(200)
        for (const h of ['content-type', 'cache-control', 'x-request-id', 'x-content-type-options', 'access-control-allow-origin', 'access-control-allow-methods', 'vary']) expect(r.headers[h], `${path} ${h}`).toBeTruthy()
        expect(r.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
        sizes.push(r.body.length)
      }
    }
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(500)
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4096)
  })

  it('answers Meli 404 JSON for ids that are not Meli ids and for unknown paths', async () => {
    for (const path of ['/items/foo', '/items/MLA', '/items/mla123', '/categories/123', '/categories/MLA12a', '/users/abc', '/sites/XYZ', '/sites/XYZ/search?q=a', '/nope', '/items', '/__origin/nope']) {
      expectMeliError(await get(path), 404, 'not_found')
    }
  })

  it('answers 405 with Allow for other methods on resource routes', async () => {
    const r = await get('/items/MLA1', { method: 'POST', body: 'x' })
    expectMeliError(r, 405, 'method_not_allowed')
    expect(r.headers.allow).toBe('GET, HEAD')
  })

  it('rejects search parameters over their limits with 400', async () => {
    expectMeliError(await get('/sites/MLA/search?q=a&limit=51'), 400, 'bad_request')
    expectMeliError(await get('/sites/MLA/search?q=a&offset=1001'), 400, 'bad_request')
    expectMeliError(await get('/sites/MLA/search?q=a&limit=-1'), 400, 'bad_request')
    expectMeliError(await get(`/sites/MLA/search?q=${'a'.repeat(501)}`), 400, 'bad_request')
    expect((await get(`/sites/MLA/search?q=${'a'.repeat(500)}&limit=50&offset=1000`)).status).toBe(200)
  })

  it('answers HEAD with the GET headers and Content-Length, and no body', async () => {
    for (const path of ['/categories/MLA97994', '/items/MLA77', '/sites/MLA/search?q=tv', '/items/bad', '/nope']) {
      const g = await get(path)
      const h = await get(path, { method: 'HEAD' })
      expect(h.status, path).toBe(g.status)
      expect(h.body.length, path).toBe(0)
      expect(h.headers['content-length'], path).toBe(String(g.body.length))
      expect(h.headers['x-request-id'], path).toBe(g.headers['x-request-id'])
    }
    // On the wire: a pipelined GET after the HEAD must parse, which it can't if HEAD leaked a body.
    const raw = await rawExchange(origin.port, 'HEAD /items/MLA77 HTTP/1.1\r\nHost: x\r\n\r\nGET /__origin/status/201 HTTP/1.1\r\nHost: x\r\n\r\n', (b) => b.includes('HTTP/1.1 201'))
    expect(raw.toString('latin1').indexOf('HTTP/1.1 201')).toBe(raw.toString('latin1').lastIndexOf('HTTP/1.1 '))
  })
})

describe('/__origin/echo', () => {
  it('returns method, raw path and query, all headers as received, and the body digest', async () => {
    const body = Buffer.alloc(1_000_003, 7)
    const r = await get('/__origin/echo/a%2Fb%20c/%C3%A9?x=%41&y=1+2&x=3', {
      method: 'PUT',
      headers: { 'X-Forwarded-For': '10.0.0.1, 10.0.0.2', 'x-custom': 'Value With Caps', 'content-type': 'application/octet-stream' },
      body,
    })
    expect(r.status).toBe(200)
    const e = json(r.body) as { method: string; url: string; query: string; headers: Record<string, string>; rawHeaders: Array<[string, string]>; bodyLength: number; bodySha256: string }
    expect(e.method).toBe('PUT')
    expect(e.url).toBe('/__origin/echo/a%2Fb%20c/%C3%A9')
    expect(e.query).toBe('x=%41&y=1+2&x=3')
    expect(e.headers['x-forwarded-for']).toBe('10.0.0.1, 10.0.0.2')
    expect(e.headers['x-custom']).toBe('Value With Caps')
    expect(e.headers['content-length']).toBe(String(body.length))
    expect(e.headers.host).toBe(`127.0.0.1:${origin.port}`)
    expect(e.rawHeaders).toContainEqual(['x-custom', 'Value With Caps'])
    expect(e.bodyLength).toBe(body.length)
    expect(e.bodySha256).toBe(createHash('sha256').update(body).digest('hex'))
  })

  it('keeps repeated headers in order, header names that are Object keys, and reads chunked request bodies', async () => {
    const raw = await rawExchange(
      origin.port,
      'POST /__origin/echo HTTP/1.1\r\nHost: h\r\nX-Dup: one\r\nX-Dup: two\r\nConstructor: c\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
      responseComplete,
    )
    const e = JSON.parse(raw.toString('utf8').split('\r\n\r\n')[1]!) as { headers: Record<string, string>; rawHeaders: Array<[string, string]>; bodyLength: number; bodySha256: string }
    expect(e.headers['x-dup']).toBe('one, two')
    expect(e.headers.constructor).toBe('c')
    expect(e.rawHeaders.filter(([k]) => k === 'x-dup')).toEqual([['x-dup', 'one'], ['x-dup', 'two']])
    expect(e.bodyLength).toBe(5)
    expect(e.bodySha256).toBe(createHash('sha256').update('abcde').digest('hex'))
  })

  it('honours ?status and ?delayMs, and refuses them out of range', async () => {
    const r = await get('/__origin/echo?status=503')
    expect(r.status).toBe(503)
    expect(json(r.body).method).toBe('GET')
    expect((await get('/__origin/echo?status=204')).body.length).toBe(0)
    const started = performance.now()
    expect((await get('/__origin/echo?delayMs=150')).status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(145)
    expectMeliError(await get(`/__origin/echo?delayMs=${TEST_ENDPOINT_LIMITS.maxDelayMs + 1}`), 400, 'bad_request')
    expectMeliError(await get('/__origin/echo?status=99'), 400, 'bad_request')
    expectMeliError(await get('/__origin/echo?status=600'), 400, 'bad_request')
    expectMeliError(await get('/__origin/echo?status=2x0'), 400, 'bad_request')
  })

  it('answers 413 and closes when the declared body is over the limit', async () => {
    const raw = await rawExchange(origin.port, `POST /__origin/echo HTTP/1.1\r\nHost: h\r\nContent-Length: ${TEST_ENDPOINT_LIMITS.maxEchoBodyBytes + 1}\r\n\r\nabc`, () => false)
    expect(raw.toString('latin1')).toMatch(/^HTTP\/1\.1 413 /)
  })
})

describe('/__origin/bytes and /__origin/chunked', () => {
  it('sends n deterministic bytes with Content-Length', async () => {
    const r = await get('/__origin/bytes?n=300007')
    expect(r.status).toBe(200)
    expect(r.headers['content-length']).toBe('300007')
    expect(r.headers['transfer-encoding']).toBeUndefined()
    expect(r.body.equals(deterministicBytes(0, 300007))).toBe(true)
    expect((await get('/__origin/bytes?n=0')).body.length).toBe(0)
    const h = await get('/__origin/bytes?n=1234', { method: 'HEAD' })
    expect(h.headers['content-length']).toBe('1234')
    expect(h.body.length).toBe(0)
  })

  it('sends a large body intact to a reader that pauses (backpressure)', async () => {
    const n = 48 * 1024 * 1024 + 13
    const res = await request(`${origin.url}/__origin/bytes?n=${n}`, { dispatcher: agent })
    const hash = createHash('sha256')
    let received = 0
    let paused = false
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      hash.update(chunk)
      received += chunk.length
      if (!paused && received > 4 * 1024 * 1024) {
        paused = true
        // Stop reading long enough for the socket buffers to fill and uWS to report backpressure.
        await new Promise((r) => setTimeout(r, 300))
      }
    }
    expect(received).toBe(n)
    expect(hash.digest('hex')).toBe(createHash('sha256').update(deterministicBytes(0, n)).digest('hex'))
  })

  it('sends the same bytes chunked, one HTTP chunk per K-byte write', async () => {
    const raw = await rawExchange(origin.port, 'GET /__origin/chunked?n=10&chunk=4 HTTP/1.1\r\nHost: h\r\n\r\n', responseComplete)
    const [head, body] = raw.toString('latin1').split('\r\n\r\n', 2) as [string, string]
    expect(head.toLowerCase()).toContain('transfer-encoding: chunked')
    expect(head.toLowerCase()).not.toContain('content-length')
    const b = deterministicBytes(0, 10).toString('latin1')
    expect(raw.toString('latin1').slice(head.length + 4)).toBe(`4\r\n${b.slice(0, 4)}\r\n4\r\n${b.slice(4, 8)}\r\n2\r\n${b.slice(8)}\r\n0\r\n\r\n`)
    expect(body.length).toBeGreaterThan(0)

    const big = await get('/__origin/chunked?n=5000011&chunk=65536')
    expect(big.headers['transfer-encoding']).toBe('chunked')
    expect(big.body.equals(deterministicBytes(0, 5000011))).toBe(true)
  })

  it('refuses sizes over the limits and a missing n', async () => {
    expectMeliError(await get(`/__origin/bytes?n=${TEST_ENDPOINT_LIMITS.maxBytes + 1}`), 400, 'bad_request')
    expectMeliError(await get('/__origin/bytes'), 400, 'bad_request')
    expectMeliError(await get('/__origin/chunked?n=10&chunk=0'), 400, 'bad_request')
    expectMeliError(await get(`/__origin/chunked?n=10&chunk=${TEST_ENDPOINT_LIMITS.maxChunkSize + 1}`), 400, 'bad_request')
    expectMeliError(await get(`/__origin/chunked?n=${TEST_ENDPOINT_LIMITS.maxChunks + 1}&chunk=1`), 400, 'bad_request')
  })

  it('counts a client that leaves mid-body as aborted', async () => {
    const res = await request(`${origin.url}/__origin/bytes?n=${100 * 1024 * 1024}`, { dispatcher: agent })
    for await (const _chunk of res.body) break // leaving the loop destroys the body and the connection
    const snap = await origin.events.waitFor((s) => s.aborted >= 1, 5000)
    expect(snap.abortedByPath['/__origin/bytes']).toBe(1)
  })
})

describe('/__origin/slow, /__origin/stall, /__origin/status, /__origin/headers', () => {
  it('slow answers after the delay', async () => {
    const started = performance.now()
    const r = await get('/__origin/slow?ms=120')
    expect(performance.now() - started).toBeGreaterThanOrEqual(115)
    expect(json(r.body)).toEqual({ sleptMs: 120 })
    expectMeliError(await get('/__origin/slow?ms=60001'), 400, 'bad_request')
    expectMeliError(await get('/__origin/slow'), 400, 'bad_request')
  })

  it('stall sends headers and part of the body, never the rest; a client leaving counts as aborted', async () => {
    const ac = new AbortController()
    const res = await request(`${origin.url}/__origin/stall?total=1000&sent=10`, { dispatcher: agent, signal: ac.signal })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-length']).toBe('1000')
    const it = (res.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]()
    const first = await it.next()
    expect(Buffer.from(first.value as Buffer).equals(deterministicBytes(0, 10))).toBe(true)
    const more = await Promise.race([it.next().then(() => 'more'), new Promise((r) => setTimeout(() => r('stalled'), 300))])
    expect(more).toBe('stalled')
    ac.abort()
    await origin.events.waitFor((s) => s.abortedByPath['/__origin/stall'] === 1, 5000)
  })

  it('stall in chunked mode, and the origin closes it after maxMs without counting an abort', async () => {
    const raw = await rawExchange(origin.port, 'GET /__origin/stall?mode=chunked&sent=5&maxMs=100 HTTP/1.1\r\nHost: h\r\n\r\n', () => false)
    const text = raw.toString('latin1')
    expect(text.toLowerCase()).toContain('transfer-encoding: chunked')
    // uWS writes a chunk's closing CRLF in front of the next chunk, so the stalled chunk ends at its data.
    expect(text.slice(text.indexOf('\r\n\r\n') + 4)).toMatch(new RegExp(`^5\r\n${deterministicBytes(0, 5).toString('latin1')}(\r\n)?$`))
    expect(text).not.toContain('\r\n0\r\n\r\n')
    expect(origin.events.abortedCount()).toBe(0)
  })

  it('status/:code answers that status with a small JSON body, none for 204/304', async () => {
    const r = await get('/__origin/status/418')
    expectMeliError(r, 418, 'i_m_a_teapot')
    expect((await get('/__origin/status/200')).status).toBe(200)
    expect((await get('/__origin/status/599')).status).toBe(599)
    for (const code of [204, 304]) {
      const raw = await rawExchange(origin.port, `GET /__origin/status/${code} HTTP/1.1\r\nHost: h\r\n\r\nGET /__origin/status/202 HTTP/1.1\r\nHost: h\r\n\r\n`, (b) => b.includes('HTTP/1.1 202') && responseComplete(b.subarray(b.indexOf('HTTP/1.1 202'))))
      const first = raw.toString('latin1').split('HTTP/1.1 202')[0]!
      expect(first).toMatch(new RegExp(`^HTTP/1\\.1 ${code} `))
      expect(first.endsWith('\r\n\r\n')).toBe(true)
    }
    for (const bad of ['199', '600', 'abc', '2000']) expectMeliError(await get(`/__origin/status/${bad}`), 400, 'bad_request')
  })

  it('headers sends repeated set-cookie, a raw 0xE9 byte, an empty and a very long header', async () => {
    const r = await get('/__origin/headers')
    expect(r.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly', 'c=3; Path=/; Secure; SameSite=Lax'])
    expect(r.headers['x-long']).toHaveLength(TEST_ENDPOINT_LIMITS.defaultLongHeader)
    const raw = await rawExchange(origin.port, 'GET /__origin/headers?long=20000 HTTP/1.1\r\nHost: h\r\n\r\n', responseComplete)
    expect(raw.includes(Buffer.from('\r\nx-latin1: caf\xe9\r\n', 'latin1'))).toBe(true)
    expect(raw.includes(Buffer.from('\r\nx-utf8: caf\xc3\xa9\r\n', 'latin1'))).toBe(true)
    expect(raw.includes(Buffer.from('\r\nx-empty: \r\n', 'latin1'))).toBe(true)
    expect(/\r\nx-long: ([a-z0-9]+)\r\n/.exec(raw.toString('latin1'))?.[1]).toHaveLength(20000)
    expectMeliError(await get(`/__origin/headers?long=${TEST_ENDPOINT_LIMITS.maxLongHeader + 1}`), 400, 'bad_request')
  })
})

describe('/__origin/events', () => {
  it('counts requests per path and keeps the forwarding headers of recent requests', async () => {
    await get('/items/MLA1')
    await get('/items/MLA1?x=1')
    await get('/categories/MLA97994', { headers: { 'x-forwarded-for': '152.152.152.152', 'x-forwarded-proto': 'https', 'x-request-id': 'req-1', connection: 'keep-alive' } })
    const r = await get('/__origin/events')
    const snap = json(r.body) as { total: number; requests: Record<string, number>; aborted: number; recent: Array<Record<string, unknown>> }
    expect(snap.total).toBe(3)
    expect(snap.requests).toEqual({ '/items/MLA1': 2, '/categories/MLA97994': 1 })
    expect(snap.aborted).toBe(0)
    expect(snap.recent).toHaveLength(3)
    expect(snap.recent[2]).toEqual({
      seq: 3,
      method: 'GET',
      path: '/categories/MLA97994',
      host: `127.0.0.1:${origin.port}`,
      connection: 'keep-alive',
      xForwardedFor: '152.152.152.152',
      xForwardedProto: 'https',
      xRequestId: 'req-1',
    })
    expect(snap.recent[0]).toMatchObject({ seq: 1, xForwardedFor: null, xRequestId: null })
    expect(origin.events.requestCount('/items/MLA1')).toBe(2)
    expect((json((await get('/__origin/events?recent=1')).body).recent as unknown[]).length).toBe(1)
    expectMeliError(await get('/__origin/events?recent=1001'), 400, 'bad_request')
  })

  it('keeps only the last 1000 requests in the ring', async () => {
    for (let i = 0; i < 1005; i++) await get(`/users/${i}`)
    const snap = origin.events.snapshot()
    expect(snap.total).toBe(1005)
    expect(snap.recent).toHaveLength(1000)
    expect(snap.recent[0]).toMatchObject({ seq: 6, path: '/users/5' })
    expect(snap.recent[999]).toMatchObject({ seq: 1005, path: '/users/1004' })
  })

  it('resets on DELETE', async () => {
    await get('/items/MLA1')
    expect((await get('/__origin/events', { method: 'DELETE' })).status).toBe(204)
    const snap = json((await get('/__origin/events')).body)
    expect(snap).toMatchObject({ total: 0, requests: {}, aborted: 0, recent: [] })
  })

  it('counts a client that leaves during a delayed response', async () => {
    const ac = new AbortController()
    const pending = request(`${origin.url}/__origin/slow?ms=5000`, { dispatcher: agent, signal: ac.signal })
    await origin.events.waitFor((s) => s.requests['/__origin/slow'] === 1, 5000)
    ac.abort()
    await expect(pending).rejects.toThrow()
    const snap = await origin.events.waitFor((s) => s.aborted === 1, 5000)
    expect(snap.abortedByPath).toEqual({ '/__origin/slow': 1 })
  })
})

describe('startOrigin', () => {
  it('adds latencyMs before Meli responses', async () => {
    const slow = await startOrigin({ port: 0, latencyMs: 150 })
    try {
      const started = performance.now()
      const res = await request(`${slow.url}/items/MLA1`)
      expect(res.statusCode).toBe(200)
      await res.body.arrayBuffer()
      expect(performance.now() - started).toBeGreaterThanOrEqual(145)
    } finally {
      await slow.close()
    }
  })

  it('refuses bad options and a port that is taken', async () => {
    await expect(startOrigin({ port: -1 })).rejects.toMatchObject({ code: 'MELIPROXY_ERR_ORIGIN_OPTIONS_INVALID' })
    await expect(startOrigin({ port: 70000 })).rejects.toMatchObject({ code: 'MELIPROXY_ERR_ORIGIN_OPTIONS_INVALID' })
    await expect(startOrigin({ port: 0, latencyMs: 60_001 })).rejects.toMatchObject({ code: 'MELIPROXY_ERR_ORIGIN_OPTIONS_INVALID' })
    await expect(startOrigin({ port: origin.port })).rejects.toMatchObject({ code: 'MELIPROXY_ERR_ORIGIN_LISTEN', port: origin.port })
    await expect(startOrigin({ port: 0, fixturesDir: '/nonexistent-dir' })).rejects.toMatchObject({ code: 'MELIPROXY_ERR_ORIGIN_FIXTURE_INVALID' })
  })

  it('close() stops listening and drops keep-alive connections; a second close is harmless', async () => {
    const o = await startOrigin({ port: 0 })
    const a = new Agent({ keepAliveTimeout: 60_000 })
    expect((await request(`${o.url}/items/MLA1`, { dispatcher: a })).statusCode).toBe(200)
    await o.close()
    await o.close()
    await expect(request(`${o.url}/items/MLA1`, { dispatcher: a }).then((r) => r.body.arrayBuffer())).rejects.toThrow()
    await a.close()
  })
})
