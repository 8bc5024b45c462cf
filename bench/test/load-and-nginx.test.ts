// Runs the real tools against the real origin on loopback: short, low-rate runs that assert counts
// and wiring, never speed. The nginx and wrk parts need those binaries (Debian: apt-get install -y
// nginx wrk) and are skipped, visibly, where they are missing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startOrigin, type Origin } from '../../node/origin/index.js'
import { findExecutable } from '../lib/executables.js'
import { resolveLoadOptions, runLoad } from '../lib/load.js'
import { findNginx, startNginx } from '../lib/nginx.js'

const hasWrk = findExecutable('wrk') !== undefined
const hasNginx = findExecutable('nginx') !== undefined

let origin: Origin

beforeAll(async () => {
  origin = await startOrigin({ port: 0 })
})

afterAll(async () => {
  await origin.close()
})

beforeEach(() => {
  origin.events.reset()
})

describe('resolveLoadOptions', () => {
  it('refuses an empty URL list, URLs on two origins and out-of-range numbers', () => {
    const code = { code: 'MELIPROXY_ERR_BENCH_OPTIONS_INVALID' }
    expect(() => resolveLoadOptions({ urls: [], durationSec: 1, connections: 1 })).toThrow(expect.objectContaining(code))
    expect(() => resolveLoadOptions({ urls: ['http://127.0.0.1:1/a', 'http://127.0.0.1:2/b'], durationSec: 1, connections: 1 })).toThrow(expect.objectContaining(code))
    expect(() => resolveLoadOptions({ urls: ['not a url'], durationSec: 1, connections: 1 })).toThrow(expect.objectContaining(code))
    expect(() => resolveLoadOptions({ urls: ['http://127.0.0.1:1/a'], durationSec: 0, connections: 1 })).toThrow(expect.objectContaining(code))
    expect(() => resolveLoadOptions({ urls: ['http://127.0.0.1:1/a'], durationSec: 1, connections: 1.5 })).toThrow(expect.objectContaining(code))
    expect(resolveLoadOptions({ urls: ['http://127.0.0.1:1/a?q=1', 'http://127.0.0.1:1/b'], durationSec: 1, connections: 2 }).paths).toEqual(['/a?q=1', '/b'])
  })
})

describe('runLoad', () => {
  it('autocannon with worker threads: cycles through the URLs and reports what the origin saw', async () => {
    const urls = [`${origin.url}/items/MLA1`, `${origin.url}/nope`]
    const lines: string[] = []
    const sink = { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream
    const r = await runLoad({ urls, durationSec: 1, connections: 4, tool: 'autocannon', threads: 2, progress: sink, probe: async () => origin.events.snapshot(0).total })
    const snap = origin.events.snapshot(0)
    expect(r.tool).toBe('autocannon')
    expect(r.requests).toBeGreaterThan(0)
    expect(snap.requests['/items/MLA1']).toBeGreaterThan(0)
    expect(snap.requests['/nope']).toBeGreaterThan(0)
    expect(r.statusCounts?.['200']).toBeGreaterThan(0)
    expect(r.statusCounts?.['404']).toBeGreaterThan(0)
    expect(r.non2xx).toBe(r.statusCounts?.['404'])
    expect(snap.total).toBeGreaterThanOrEqual(r.requests)
    expect(r.latencyMs.p99).toBeGreaterThanOrEqual(r.latencyMs.p50)
    expect(lines.length).toBeGreaterThan(0)
    expect(lines[0]).toContain('autocannon')
  })

  it.skipIf(!hasWrk)('wrk: sends the given headers byte for byte, counts statuses, and agrees with the origin', async () => {
    const requestId = 'id "quoted" \\ back-slashed'
    const r = await runLoad({
      urls: [`${origin.url}/categories/MLA97994`, `${origin.url}/__origin/status/429`],
      durationSec: 1,
      connections: 2,
      tool: 'wrk',
      headers: { 'X-Request-Id': requestId },
      countStatuses: true,
      progress: null,
    })
    const snap = origin.events.snapshot(5)
    expect(r.tool).toBe('wrk')
    expect(r.requests).toBeGreaterThan(0)
    expect(snap.recent.map((x) => x.xRequestId)).toEqual(Array(5).fill(requestId))
    // wrk counts completed requests; the origin may have seen a few more that were cut off at the end.
    expect(snap.total).toBeGreaterThanOrEqual(r.requests)
    expect(snap.total - r.requests).toBeLessThanOrEqual(2)
    expect(r.statusCounts?.['200']).toBeGreaterThan(0)
    expect(Math.abs((r.statusCounts?.['200'] ?? 0) - (r.statusCounts?.['429'] ?? 0))).toBeLessThanOrEqual(2)
    expect(r.non2xx).toBe(r.statusCounts?.['429'])
  })
})

describe('nginx', () => {
  it('reports not-installed or a version, never throws', async () => {
    const found = await findNginx()
    expect(found.installed).toBe(hasNginx)
    if (found.installed) expect(found.version).toMatch(/^nginx\/\d+\.\d+/)
    else expect(found.message).toContain('not installed')
  })

  it.skipIf(!hasNginx)('proxies to the origin with the forwarding headers and stops cleanly', async () => {
    const started = await startNginx({ upstream: { host: '127.0.0.1', port: origin.port } })
    if (!started.ok) throw new Error(`${started.reason}: ${started.message}`)
    const nginx = started.nginx
    try {
      const res = await fetch(`${nginx.url}/categories/MLA97994`, { headers: { 'x-forwarded-for': '1.2.3.4' } })
      expect(res.status).toBe(200)
      expect((await res.json()) as { id: string }).toMatchObject({ id: 'MLA97994' })
      const rec = origin.events.snapshot().recent.at(-1)!
      expect(rec).toMatchObject({ path: '/categories/MLA97994', host: `127.0.0.1:${origin.port}`, xForwardedFor: '1.2.3.4, 127.0.0.1', xForwardedProto: 'http' })
      expect(rec.xRequestId).toMatch(/^[0-9a-f]{32}$/)
    } finally {
      await nginx.stop()
      await nginx.stop()
    }
    await expect(fetch(`${nginx.url}/`)).rejects.toThrow()
  })

  it.skipIf(!hasNginx)('enforces limit_req rules: limited requests get 429 and never reach the origin', async () => {
    const started = await startNginx({
      upstream: { host: '127.0.0.1', port: origin.port },
      limits: [{ id: 'items', match: { pathPrefix: '/items/' }, limit: 2, per: 'minute', burst: 1 }],
    })
    if (!started.ok) throw new Error(`${started.reason}: ${started.message}`)
    const nginx = started.nginx
    try {
      const statuses: number[] = []
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`${nginx.url}/items/MLA${i}`)
        await res.arrayBuffer()
        statuses.push(res.status)
      }
      const ok = statuses.filter((s) => s === 200).length
      expect(statuses.filter((s) => s === 429).length).toBe(6 - ok)
      expect(ok).toBeGreaterThanOrEqual(1)
      expect(ok).toBeLessThanOrEqual(2) // one at the steady rate plus a burst of one
      const other = await fetch(`${nginx.url}/categories/MLA1`)
      await other.arrayBuffer()
      expect(other.status).toBe(200) // the rule only matches /items/
      const seen = origin.events.snapshot(0).requests
      expect(Object.entries(seen).filter(([p]) => p.startsWith('/items/')).reduce((n, [, c]) => n + c, 0)).toBe(ok)
    } finally {
      await nginx.stop()
    }
  })

  it.skipIf(!hasNginx)('returns config-invalid instead of throwing for a rule it cannot write', async () => {
    const r = await startNginx({ upstream: { host: '127.0.0.1', port: origin.port }, limits: [{ id: 'bad id!', limit: 1, per: 'minute' }] })
    expect(r).toMatchObject({ ok: false, reason: 'config-invalid' })
  })
})
