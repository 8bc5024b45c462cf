// The admin API of real nodes (child processes on loopback; needs `npm run build`). One 3-node cluster runs through
// the whole story in order — access control and bad input, a known request mix and the merged statistics of it,
// metrics, rule changes spreading and surviving restarts, members that stop answering — so it starts only once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestCluster, waitFor } from '../../testing/test-cluster.js'
import { parsePrometheusText, sampleValue } from './prometheus-text.js'

type Outcome = 'ok2xx' | 'redirect3xx' | 'limited429' | 'notFound404' | 'clientError4xx' | 'serverError5xx' | 'upstreamError'
const OUTCOMES: Outcome[] = ['ok2xx', 'redirect3xx', 'limited429', 'notFound404', 'clientError4xx', 'serverError5xx', 'upstreamError']

interface Sent {
  node: number
  path: string
  status: number
  outcome: Outcome
  /** When the answer arrived (ms since the epoch). */
  at: number
}

interface ApiBucket {
  start: number
  total: number
  outcomes: Record<Outcome, number>
  latency: { total: { mean: number; p50: number; p90: number; p99: number } | null; proxy: unknown }
  rules: Record<string, { admitted: number; limited: number }>
}
interface StatsAnswer {
  resolution: string
  nodes: string[]
  missing: string[]
  series: Array<{ node: string; buckets: ApiBucket[] }>
}

const UI_ORIGIN = 'http://127.0.0.1:5173'
const RULES = [
  { id: 'all', limit: 1_000_000, per: 'minute' },
  { id: 'per-path', match: { path: '/limited/*' }, by: ['path'], limit: 2, per: 'minute' },
]

let cluster: TestCluster
const ledger: Sent[] = []
const testStart = Date.now()

function outcomeOf(status: number, body: string): Outcome {
  if ((status === 502 || status === 504) && body.includes('upstream_')) return 'upstreamError'
  if (status === 429) return 'limited429'
  if (status < 300) return 'ok2xx'
  if (status < 400) return 'redirect3xx'
  if (status === 404) return 'notFound404'
  if (status < 500) return 'clientError4xx'
  return 'serverError5xx'
}

/** One request through node i's proxy, remembered in the ledger. */
async function send(i: number, path: string): Promise<number> {
  const res = await fetch(cluster.nodes[i]!.http + path)
  const body = await res.text()
  ledger.push({ node: i, path, status: res.status, outcome: outcomeOf(res.status, body), at: Date.now() })
  return res.status
}

function admin(i: number, path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  const token = init.token === undefined ? cluster.token : init.token
  if (token !== null) headers.set('authorization', `Bearer ${token}`)
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json')
  return fetch(cluster.nodes[i]!.admin + path, { ...init, headers })
}

async function adminJson<T>(i: number, path: string, init: RequestInit & { token?: string | null } = {}): Promise<{ status: number; body: T; res: Response }> {
  const res = await admin(i, path, init)
  const text = await res.text()
  return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T, res }
}

function expectedOutcomes(nodes: number[]): Record<Outcome, number> {
  const out = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>
  for (const s of ledger) if (nodes.includes(s.node)) out[s.outcome]++
  return out
}

function summed(buckets: ApiBucket[]): { total: number; outcomes: Record<Outcome, number>; rules: Record<string, { admitted: number; limited: number }> } {
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>
  const rules: Record<string, { admitted: number; limited: number }> = {}
  let total = 0
  for (const b of buckets) {
    total += b.total
    for (const o of OUTCOMES) outcomes[o] += b.outcomes[o]
    for (const [id, c] of Object.entries(b.rules)) {
      const r = (rules[id] ??= { admitted: 0, limited: 0 })
      r.admitted += c.admitted
      r.limited += c.limited
    }
  }
  return { total, outcomes, rules }
}

/** The sliding-window estimate (1-minute window) at `t` of the admissions of `path` the ledger holds. */
function slidingEstimate(path: string, t: number): number {
  const W = 60_000
  const w = Math.floor(t / W)
  let current = 0
  let previous = 0
  for (const s of ledger) {
    if (s.path !== path || s.status === 429) continue
    const sw = Math.floor(s.at / W)
    if (sw === w) current++
    else if (sw === w - 1) previous++
  }
  return current + previous * (1 - (t - w * W) / W)
}

/** Waits until `read` (made between two clock readings) returns the ledger's sliding estimate of `path`. */
async function waitForEstimate(path: string, read: () => Promise<number | undefined>): Promise<number> {
  return waitFor(
    async () => {
      const before = Date.now()
      const value = await read()
      const after = Date.now()
      if (value === undefined) return null
      // The estimate only decays between the two readings; the API rounds to 3 decimals.
      return value >= slidingEstimate(path, after) - 0.001 && value <= slidingEstimate(path, before) + 0.001 ? value : null
    },
    { timeoutMs: 5000, what: `the estimate of ${path} to match what was admitted` },
  )
}

function range(): string {
  return `from=${testStart - 120_000}&to=${Date.now() + 120_000}`
}

beforeAll(async () => {
  cluster = await TestCluster.start({
    nodes: 3,
    rules: RULES,
    admin: { uiOrigin: UI_ORIGIN },
    upstreamSettings: { timeoutMs: 300 },
  })
  await cluster.waitReady()
})

afterAll(async () => {
  await cluster?.close()
})

describe('admin API of a 3-node cluster', () => {
  it('asks for the token on every API call and on /metrics, but not on health or the UI', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/v1/cluster'],
      ['GET', '/api/v1/stats'],
      ['GET', '/api/v1/rules'],
      ['GET', '/metrics'],
      ['POST', '/api/v1/rules', JSON.stringify({ id: 'x', limit: 1, per: 'minute' })],
      ['PUT', '/api/v1/rules/all', JSON.stringify({ limit: 1, per: 'minute' })],
      ['DELETE', '/api/v1/rules/all'],
    ] as const) {
      const missing = await adminJson<{ error: string }>(0, path, { method, body, token: null })
      expect(missing.status, `${method} ${path} without a token`).toBe(401)
      expect(missing.body.error).toBe('unauthorized')
      expect(missing.res.headers.get('www-authenticate')).toMatch(/^Bearer/)
      const wrong = await adminJson<{ error: string }>(1, path, { method, body, token: `${cluster.token}x` })
      expect(wrong.status, `${method} ${path} with a wrong token`).toBe(401)
    }
    const notBearer = await admin(2, '/api/v1/rules', { token: null, headers: { authorization: `Basic ${cluster.token}` } })
    expect(notBearer.status).toBe(401)
    const huge = await admin(2, '/api/v1/rules', { token: null, headers: { authorization: `Bearer ${'a'.repeat(5000)}` } })
    expect(huge.status).toBe(401)
    // Nothing changed: the rule the unauthenticated DELETE named is still there on every node.
    for (const i of [0, 1, 2]) {
      const { body } = await adminJson<{ rules: Array<{ id: string; limit: number }> }>(i, '/api/v1/rules')
      expect(body.rules.map((r) => [r.id, r.limit])).toEqual([
        ['all', 1_000_000],
        ['per-path', 2],
      ])
    }
    expect((await admin(0, '/healthz', { token: null })).status).toBe(200)
    expect(await (await admin(0, '/readyz', { token: null })).json()).toEqual({ ready: true })
  })

  it('serves the built admin UI at / with its assets, and index.html for the app routes', async () => {
    const index = await admin(0, '/', { token: null })
    expect(index.status).toBe(200)
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(index.headers.get('cache-control')).toBe('no-cache')
    const html = await index.text()
    expect(html).toContain('<title>meliproxy admin</title>')
    const script = /src="\.?(\/assets\/[^"]+\.js)"/.exec(html)?.[1]
    expect(script).toBeDefined()
    const asset = await admin(0, script!, { token: null })
    expect(asset.status).toBe(200)
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(asset.headers.get('cache-control')).toContain('immutable')
    expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(1000)
    const appRoute = await admin(1, '/traffic/today', { token: null })
    expect(appRoute.status).toBe(200)
    expect(appRoute.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await appRoute.text()).toContain('<title>meliproxy admin</title>')
    expect((await admin(1, '/assets/no-such-file.js', { token: null })).status).toBe(404)
    const unknownApi = await adminJson<{ error: string }>(1, '/api/v1/nothing-here')
    expect(unknownApi.status).toBe(404)
    expect(unknownApi.body.error).toBe('not_found')
  })

  it('allows CORS for the configured UI origin only', async () => {
    const preflight = await admin(0, '/api/v1/rules', {
      method: 'OPTIONS',
      token: null,
      headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN)
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST')
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization')
    const evil = await admin(0, '/api/v1/rules', {
      method: 'OPTIONS',
      token: null,
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    })
    expect(evil.headers.get('access-control-allow-origin')).toBeNull()
    expect(evil.headers.get('access-control-allow-methods')).toBeNull()
    const fromUi = await admin(1, '/api/v1/rules', { headers: { origin: UI_ORIGIN } })
    expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN)
    expect(fromUi.headers.get('vary')).toContain('origin')
    const fromElsewhere = await admin(1, '/api/v1/rules', { headers: { origin: 'http://evil.example' } })
    expect(fromElsewhere.status).toBe(200)
    expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull()
    // A refused request from the UI must still be readable there (the UI shows "wrong token").
    const refused = await admin(1, '/api/v1/rules', { token: null, headers: { origin: UI_ORIGIN } })
    expect(refused.status).toBe(401)
    expect(refused.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN)
  })

  it('rejects malformed bodies and parameters with 400 and the field path, and oversized bodies with 413', async () => {
    const malformed = await adminJson<{ error: string; message: string }>(0, '/api/v1/rules', { method: 'POST', body: '{"id": "x", ' })
    expect(malformed.status).toBe(400)
    expect(malformed.body.error).toBe('invalid_request')
    const empty = await adminJson<{ error: string }>(0, '/api/v1/rules', { method: 'POST', body: '' })
    expect(empty.status).toBe(400)
    expect(empty.body.error).toBe('invalid_request')

    const bad = await adminJson<{ error: string; problems: string[] }>(1, '/api/v1/rules', {
      method: 'POST',
      body: JSON.stringify({ id: 'bad', limit: -5, per: 'fortnight', limt: 3, match: { ip: ['10.0.0.1', '10.0.0.0/33'] } }),
    })
    expect(bad.status).toBe(400)
    expect(bad.body.error).toBe('invalid_rule')
    expect(bad.body.problems).toContain('body.limit: -5 is not a positive integer')
    expect(bad.body.problems.some((p) => p.startsWith('body.per: "fortnight" is not a window'))).toBe(true)
    expect(bad.body.problems.some((p) => p.startsWith('body: unknown field "limt"'))).toBe(true)
    expect(bad.body.problems.some((p) => p.startsWith('body.match.ip[1]: "10.0.0.0/33"'))).toBe(true)

    const mismatch = await adminJson<{ error: string; problems: string[] }>(2, '/api/v1/rules/all', {
      method: 'PUT',
      body: JSON.stringify({ id: 'other', limit: 5, per: 'minute' }),
    })
    expect(mismatch.status).toBe(400)
    expect(mismatch.body.problems[0]).toMatch(/^body\.id: "other" does not match/)

    const big = await adminJson<{ error: string }>(0, '/api/v1/rules', {
      method: 'POST',
      body: JSON.stringify({ id: 'big', limit: 1, per: 'minute', description: 'x'.repeat(70_000) }),
    })
    expect(big.status).toBe(413)
    expect(big.body.error).toBe('invalid_request')
    // Without a Content-Length the limit applies while the body streams in.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new Uint8Array(8192).fill(32))
        controller.close()
      },
    })
    const streamed = await admin(0, '/api/v1/rules', { method: 'POST', body: chunks, duplex: 'half' } as RequestInit)
    expect(streamed.status).toBe(413)

    const badQuery = await adminJson<{ error: string; problems: string[] }>(1, '/api/v1/stats?resolution=day')
    expect(badQuery.status).toBe(400)
    expect(badQuery.body.problems).toEqual(['query.resolution: "day" is not one of: minute, hour'])
    const badTime = await adminJson<{ problems: string[] }>(1, '/api/v1/stats?from=yesterday')
    expect(badTime.body.problems[0]).toMatch(/^query\.from: "yesterday" is not a time/)
    const tooLong = await adminJson<{ problems: string[] }>(1, `/api/v1/stats?from=0&to=${8 * 86_400_000}&resolution=minute`)
    expect(tooLong.status).toBe(400)
    expect(tooLong.body.problems[0]).toMatch(/^query\.to: .* more than 10080 minute buckets/)
    const backwards = await adminJson<{ problems: string[] }>(1, '/api/v1/stats?from=2000&to=1000')
    expect(backwards.status).toBe(400)
    const unknownNode = await adminJson<{ problems: string[] }>(1, '/api/v1/stats?node=n9')
    expect(unknownNode.status).toBe(400)
    expect(unknownNode.body.problems[0]).toMatch(/^query\.node: "n9" is not merged, all or a member/)
    const longParam = await adminJson<{ problems: string[] }>(1, `/api/v1/stats/top-limited?limit=${'1'.repeat(2000)}`)
    expect(longParam.status).toBe(400)
    const badLimit = await adminJson<{ problems: string[] }>(1, '/api/v1/stats/top-limited?limit=0')
    expect(badLimit.body.problems).toEqual(['query.limit: "0" is not an integer from 1 to 1000'])
  })

  it('answers 404 for unknown rules and 409 for an id that exists', async () => {
    const put = await adminJson<{ error: string }>(0, '/api/v1/rules/nope', { method: 'PUT', body: JSON.stringify({ limit: 1, per: 'minute' }) })
    expect(put.status).toBe(404)
    expect(put.body.error).toBe('not_found')
    const del = await adminJson<{ error: string }>(1, '/api/v1/rules/nope', { method: 'DELETE' })
    expect(del.status).toBe(404)
    const conflict = await adminJson<{ error: string }>(2, '/api/v1/rules', { method: 'POST', body: JSON.stringify({ id: 'all', limit: 5, per: 'minute' }) })
    expect(conflict.status).toBe(409)
    expect(conflict.body.error).toBe('conflict')
    const estimate = await adminJson<{ error: string }>(0, '/api/v1/estimate?rule=nope&key=')
    expect(estimate.status).toBe(404)
  })

  it('merges the statistics of a known request mix: every node answers with what was sent', async () => {
    for (let i = 0; i < 3; i++) {
      for (let k = 0; k < 3 + i; k++) await send(i, '/categories/MLA97994')
      await send(i, '/items/not-an-item')
      await send(i, '/items/not-an-item-either')
      for (let k = 0; k < 4; k++) await send(i, '/limited/a')
      for (let k = 0; k < 3; k++) await send(i, '/limited/b')
      await send(i, '/__origin/status/500')
    }
    // Upstream timeouts (504, upstreamError), in parallel: each takes the 300 ms upstream timeout.
    await Promise.all([0, 1, 2].map((i) => send(i, '/__origin/slow?ms=3000')))
    const limited = ledger.filter((s) => s.outcome === 'limited429').length
    expect(limited).toBeGreaterThan(0)
    expect(ledger.filter((s) => s.outcome === 'upstreamError')).toHaveLength(3)

    const everyone = [0, 1, 2]
    const limitedPaths = ledger.filter((s) => s.path.startsWith('/limited/'))
    for (const i of everyone) {
      const merged = await waitFor(
        async () => {
          const { body } = await adminJson<StatsAnswer>(i, `/api/v1/stats?${range()}&resolution=minute`)
          const sum = summed(body.series[0]!.buckets)
          return sum.total === ledger.length ? { body, sum } : null
        },
        { timeoutMs: 5000, what: `merged stats on n${i + 1} counting every request` },
      )
      expect(merged.body.nodes).toEqual(['n1', 'n2', 'n3'])
      expect(merged.body.missing).toEqual([])
      expect(merged.body.series.map((s) => s.node)).toEqual(['merged'])
      expect(merged.sum.outcomes).toEqual(expectedOutcomes(everyone))
      expect(merged.sum.rules['per-path']).toEqual({
        admitted: limitedPaths.filter((s) => s.status !== 429).length,
        limited: limitedPaths.filter((s) => s.status === 429).length,
      })
      expect(merged.sum.rules.all).toEqual({ admitted: ledger.length - limited, limited: 0 })
      const latency = merged.body.series[0]!.buckets[0]!.latency.total!
      expect(latency.p50).toBeGreaterThan(0)
      expect(latency.p99).toBeGreaterThanOrEqual(latency.p50)
    }

    // The same by hour, and one series per node.
    const hourly = await adminJson<StatsAnswer>(1, `/api/v1/stats?${range()}&resolution=hour`)
    expect(hourly.body.resolution).toBe('hour')
    expect(summed(hourly.body.series[0]!.buckets).outcomes).toEqual(expectedOutcomes(everyone))
    const all = await adminJson<StatsAnswer>(2, `/api/v1/stats?${range()}&node=all`)
    expect(all.body.series.map((s) => s.node)).toEqual(['n1', 'n2', 'n3'])
    for (const i of everyone) expect(summed(all.body.series[i]!.buckets).outcomes).toEqual(expectedOutcomes([i]))
    const one = await adminJson<StatsAnswer>(0, `/api/v1/stats?${range()}&node=n2`)
    expect(one.body.nodes).toEqual(['n2'])
    expect(one.body.series.map((s) => s.node)).toEqual(['n2'])
    expect(summed(one.body.series[0]!.buckets).outcomes).toEqual(expectedOutcomes([1]))
    // A range that ends before the traffic holds nothing.
    const before = await adminJson<StatsAnswer>(0, `/api/v1/stats?from=${testStart - 7_200_000}&to=${testStart - 3_600_000}`)
    expect(before.body.series[0]!.buckets).toEqual([])
  })

  it('lists the keys limited most, merged over the cluster', async () => {
    const expected = new Map<string, number>()
    for (const s of ledger) if (s.status === 429) expected.set(s.path, (expected.get(s.path) ?? 0) + 1)
    const top = await adminJson<{ keys: Array<{ rule: string; key: string; count: number }>; missing: string[] }>(
      2,
      `/api/v1/stats/top-limited?${range()}&limit=10`,
    )
    expect(top.status).toBe(200)
    expect(top.body.missing).toEqual([])
    const sorted = [...expected].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    expect(top.body.keys).toEqual(sorted.map(([key, count]) => ({ rule: 'per-path', key, count })))
    const first = await adminJson<{ keys: unknown[] }>(2, `/api/v1/stats/top-limited?${range()}&limit=1`)
    expect(first.body.keys).toHaveLength(1)
  })

  it('shows rule usage and key estimates from the counters', async () => {
    type Usage = { rules: Array<{ id: string; limit: number; windowMs: number; keys: Array<{ key: string; estimate: number }> }> }
    let usage: Usage | undefined
    await waitForEstimate('/limited/a', async () => {
      usage = (await adminJson<Usage>(1, '/api/v1/rules/usage')).body
      return usage.rules.find((r) => r.id === 'per-path')?.keys.find((k) => k.key === '/limited/a')?.estimate
    })
    expect(usage!.rules.map((r) => r.id)).toEqual(['all', 'per-path'])
    const perPath = usage!.rules.find((r) => r.id === 'per-path')!
    expect(perPath).toMatchObject({ limit: 2, windowMs: 60_000 })
    expect(perPath.keys.map((k) => k.key).sort()).toEqual(['/limited/a', '/limited/b'])
    const all = usage!.rules.find((r) => r.id === 'all')!
    expect(all.keys).toHaveLength(1)
    expect(all.keys[0]!.key).toBe('')
    expect(all.keys[0]!.estimate).toBeGreaterThan(0)

    type Estimate = { rule: string; key: string; estimate: number; limit: number; remaining: number; windowMs: number }
    let byKey: Estimate | undefined
    await waitForEstimate('/limited/a', async () => {
      byKey = (await adminJson<Estimate>(2, '/api/v1/estimate?rule=per-path&key=/limited/a')).body
      return byKey.estimate
    })
    expect(byKey).toMatchObject({ rule: 'per-path', key: '/limited/a', limit: 2, windowMs: 60_000 })
    expect(byKey!.remaining).toBe(Math.max(0, Math.floor(2 - byKey!.estimate)))
    // Built the way the proxy builds it: the path is normalised and its trailing slash dropped.
    await waitForEstimate('/limited/a', async () => {
      const { body } = await adminJson<Estimate>(2, '/api/v1/estimate?rule=per-path&path=/limited/./a/&method=get&ip=10.1.1.1')
      expect(body.key).toBe('/limited/a')
      return body.estimate
    })
    const wrongKey = await adminJson<{ problems: string[] }>(2, '/api/v1/estimate?rule=all&key=x')
    expect(wrongKey.status).toBe(400)
    const badPath = await adminJson<{ problems: string[] }>(2, '/api/v1/estimate?rule=per-path&path=/a%zz')
    expect(badPath.status).toBe(400)
  })

  it('exposes Prometheus metrics that parse and count what the node served', async () => {
    const res = await admin(0, '/metrics')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const families = parsePrometheusText(await res.text())
    const n1 = ledger.filter((s) => s.node === 0)
    const expected = expectedOutcomes([0])
    for (const o of OUTCOMES) expect(sampleValue(families, 'meliproxy_requests_total', { outcome: o }), o).toBe(expected[o])
    expect(sampleValue(families, 'meliproxy_request_duration_seconds_count', { part: 'total' })).toBe(n1.length)
    const n1Limited = n1.filter((s) => s.status === 429).length
    expect(sampleValue(families, 'meliproxy_rule_decisions_total', { rule: 'per-path', decision: 'limited' })).toBe(n1Limited)
    expect(sampleValue(families, 'meliproxy_rule_decisions_total', { rule: 'all', decision: 'admitted' })).toBe(n1.length - n1Limited)
    expect(sampleValue(families, 'meliproxy_ready')).toBe(1)
    expect(sampleValue(families, 'meliproxy_rules')).toBe(2)
    expect(sampleValue(families, 'meliproxy_peer_state', { peer: 'n2', state: 'up' })).toBe(1)
    expect(sampleValue(families, 'meliproxy_peer_state', { peer: 'n1', state: 'self' })).toBe(1)
    expect(sampleValue(families, 'meliproxy_gossip_bytes_total', { direction: 'out' })).toBeGreaterThan(0)
    expect(sampleValue(families, 'meliproxy_counter_keys')).toBeGreaterThan(0)
    expect(families.get('process_cpu_user_seconds_total')?.type).toBe('counter')
    expect(families.get('meliproxy_request_duration_seconds')?.type).toBe('histogram')
  })

  it('spreads a rule created through n1 to n2 and n3, which reject traffic with it', async () => {
    const created = await adminJson<{ rule: { id: string; updatedBy: string; updatedAt: number; mode: string } }>(0, '/api/v1/rules', {
      method: 'POST',
      body: JSON.stringify({ id: 'block', match: { path: '/blocked/*' }, limit: 1, per: 'day' }),
    })
    expect(created.status).toBe(201)
    expect(created.body.rule).toMatchObject({ id: 'block', updatedBy: 'n1', mode: 'enforce', limit: 1, per: 'day' })
    const t0 = performance.now()
    const took = await Promise.all(
      [1, 2].map(async (i) => {
        await waitFor(async () => (await send(i, '/blocked/x')) === 429, { timeoutMs: 10_000, intervalMs: 5, what: `n${i + 1} to reject /blocked/x` })
        return performance.now() - t0
      }),
    )
    console.log(`rule created on n1 enforced on n2 after ${took[0]!.toFixed(1)} ms, on n3 after ${took[1]!.toFixed(1)} ms`)
    for (const i of [1, 2]) {
      const { body } = await adminJson<{ rules: Array<{ id: string; updatedBy: string; updatedAt: number }> }>(i, '/api/v1/rules')
      expect(body.rules.find((r) => r.id === 'block')).toEqual(expect.objectContaining({ updatedBy: 'n1', updatedAt: created.body.rule.updatedAt }))
    }
  })

  it('updates through one node and deletes through another; every node converges', async () => {
    expect((await admin(2, '/api/v1/rules', { method: 'POST', body: JSON.stringify({ id: 'temp', limit: 10, per: '10s' }) })).status).toBe(201)
    await waitFor(async () => (await adminJson<{ rules: Array<{ id: string }> }>(1, '/api/v1/rules')).body.rules.some((r) => r.id === 'temp'), {
      timeoutMs: 5000,
      what: 'n2 to see the rule created on n3',
    })
    const updated = await adminJson<{ rule: { id: string; limit: number; updatedBy: string } }>(1, '/api/v1/rules/temp', {
      method: 'PUT',
      body: JSON.stringify({ limit: 20, per: '10s', mode: 'shadow' }),
    })
    expect(updated.status).toBe(200)
    expect(updated.body.rule).toMatchObject({ id: 'temp', limit: 20, mode: 'shadow', updatedBy: 'n2' })
    for (const i of [0, 2]) {
      await waitFor(
        async () => {
          const { body } = await adminJson<{ rules: Array<{ id: string; limit: number }> }>(i, '/api/v1/rules')
          return body.rules.find((r) => r.id === 'temp')?.limit === 20
        },
        { timeoutMs: 5000, what: `n${i + 1} to see the update` },
      )
    }
    const deleted = await admin(0, '/api/v1/rules/temp', { method: 'DELETE' })
    expect(deleted.status).toBe(204)
    expect(await deleted.text()).toBe('')
    for (const i of [1, 2]) {
      await waitFor(
        async () => {
          const { body } = await adminJson<{ rules: Array<{ id: string }> }>(i, '/api/v1/rules')
          return !body.rules.some((r) => r.id === 'temp')
        },
        { timeoutMs: 5000, what: `n${i + 1} to see the deletion` },
      )
    }
  })

  it('keeps a restarted node’s past buckets', async () => {
    await cluster.restart(1)
    await cluster.waitReady()
    const one = await adminJson<StatsAnswer>(0, `/api/v1/stats?${range()}&node=n2`)
    expect(one.body.missing).toEqual([])
    expect(summed(one.body.series[0]!.buckets).outcomes).toEqual(expectedOutcomes([1]))
    const merged = await adminJson<StatsAnswer>(1, `/api/v1/stats?${range()}`)
    expect(summed(merged.body.series[0]!.buckets).outcomes).toEqual(expectedOutcomes([0, 1, 2]))
  })

  it('still lists and enforces, after that restart, the rule created through n1', async () => {
    const { body } = await adminJson<{ rules: Array<{ id: string }> }>(1, '/api/v1/rules')
    expect(body.rules.map((r) => r.id)).toEqual(['all', 'per-path', 'block'])
    // The limit is 1 a day: of two requests, at most one is admitted, wherever the cluster counted before.
    expect([await send(1, '/blocked/x'), await send(1, '/blocked/x')]).toContain(429)
  })

  it('reports a member that does not answer in time, or is down, as missing', async () => {
    cluster.pause(2)
    try {
      const view = await adminJson<{ members: Array<{ id: string; missing: boolean; reqPerSec: number | null; version: string | null; state: string }> }>(
        0,
        '/api/v1/cluster',
      )
      expect(view.status).toBe(200)
      expect(view.body.members.map((m) => [m.id, m.missing])).toEqual([
        ['n1', false],
        ['n2', false],
        ['n3', true],
      ])
      const n3 = view.body.members[2]!
      expect(n3.reqPerSec).toBeNull()
      expect(n3.version).toBeNull()
      const stats = await adminJson<StatsAnswer>(1, `/api/v1/stats?${range()}`)
      expect(stats.body.nodes).toEqual(['n1', 'n2'])
      expect(stats.body.missing).toEqual(['n3'])
      expect(summed(stats.body.series[0]!.buckets).outcomes).toEqual(expectedOutcomes([0, 1]))
      const top = await adminJson<{ missing: string[] }>(0, `/api/v1/stats/top-limited?${range()}`)
      expect(top.body.missing).toEqual(['n3'])
    } finally {
      cluster.resume(2)
    }
    await cluster.kill(2)
    const view = await waitFor(
      async () => {
        const { body } = await adminJson<{ members: Array<{ id: string; missing: boolean; state: string }> }>(1, '/api/v1/cluster')
        const n3 = body.members.find((m) => m.id === 'n3')!
        return n3.missing && n3.state === 'down' ? body : null
      },
      { timeoutMs: 10_000, what: 'n3 reported down and missing' },
    )
    expect(view.members.filter((m) => m.missing).map((m) => m.id)).toEqual(['n3'])
  })

  it('keeps rule changes across restarts when no peer is there to tell', async () => {
    // n3 is down; with n1 down too, a restarted n2 has only its own data directory.
    await cluster.kill(0)
    await cluster.restart(1)
    await cluster.waitReady()
    const rules = await adminJson<{ rules: Array<{ id: string; updatedBy: string }> }>(1, '/api/v1/rules')
    expect(rules.body.rules.map((r) => r.id)).toEqual(['all', 'per-path', 'block'])
    expect([await send(1, '/blocked/y'), await send(1, '/blocked/y')]).toContain(429)
    await cluster.restart(2)
    await cluster.waitReady()
    const onN3 = await adminJson<{ rules: Array<{ id: string }> }>(2, '/api/v1/rules')
    expect(onN3.body.rules.map((r) => r.id)).toEqual(['all', 'per-path', 'block'])
    expect(await send(2, '/blocked/y')).toBe(429)
  })
})
