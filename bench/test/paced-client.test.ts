// The fixed-rate client against small local servers: what it sends, from where, to whom, and how it counts.
// Assertions are on counts the schedule fixes (request k falls due at k / rate), never on timing.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { nearBoundary, runPacedLoad, sharedWindow } from '../lib/paced-client.js'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

interface Seen {
  url: string
  address: string
}

async function server(handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('ok')): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const s = createServer((req, res) => {
    seen.push({ url: req.url ?? '', address: req.socket.remoteAddress ?? '' })
    handle(req, res)
  })
  servers.push(s)
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}`, seen }
}

function tally<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1
  return out
}

describe('runPacedLoad', () => {
  it('sends exactly what falls due, splits it by weight, cycles paths and client addresses', async () => {
    const a = await server()
    const b = await server()
    const r = await runPacedLoad({
      targets: [a.url, b.url],
      streams: [{ name: 's', rate: 400, paths: ['/one', '/two?q=1'], weights: [3, 1] }],
      durationMs: 1000,
      sourceAddresses: ['127.0.0.2', '127.0.0.3'],
      progress: null,
    })
    const s = r.streams[0]!
    // Due at 0, 2.5, 5, ... 1000 ms: 401 requests.
    expect(s.due).toBe(401)
    expect(s.sent + s.skipped).toBe(401)
    expect(s.skipped).toBe(0)
    expect(s.completed).toBe(401)
    expect(s.errors).toBe(0)
    expect(s.statuses).toEqual({ '200': 401 })
    expect(s.admitted).toBe(401)
    expect(s.perTarget.map((t) => t.sent)).toEqual([301, 100])
    expect(a.seen).toHaveLength(301)
    expect(b.seen).toHaveLength(100)
    expect(tally([...a.seen, ...b.seen], (x) => x.url)).toEqual({ '/one': 201, '/two?q=1': 200 })
    expect(tally(a.seen, (x) => x.address)).toEqual({ '127.0.0.2': 151, '127.0.0.3': 150 })
    expect(tally(b.seen, (x) => x.address)).toEqual({ '127.0.0.2': 50, '127.0.0.3': 50 })
    expect(s.latencyMs.p99).toBeGreaterThanOrEqual(s.latencyMs.p50)
    expect(s.latencyMs.max).toBeGreaterThan(0)
  })

  it('counts 429 as limited and other failures apart from admissions, per window when asked', async () => {
    let n = 0
    const t = await server((_req, res) => {
      n++
      res.statusCode = n % 3 === 0 ? 429 : n % 3 === 1 ? 200 : 503
      res.end()
    })
    const r = await runPacedLoad({ targets: [t.url], streams: [{ name: 'w', rate: 300, paths: ['/'], windowMs: 200 }], durationMs: 1000, progress: null })
    const s = r.streams[0]!
    expect(s.completed).toBe(s.sent)
    expect(s.limited).toBe(s.statuses['429'])
    expect(s.admitted).toBe(s.statuses['200'])
    const inWindows = s.windows.reduce((acc, w) => ({ admitted: acc.admitted + w.admitted, limited: acc.limited + w.limited, failed: acc.failed + w.failed }), { admitted: 0, limited: 0, failed: 0 })
    expect(inWindows.admitted + s.ambiguous.admitted).toBe(s.admitted)
    expect(inWindows.limited + s.ambiguous.limited).toBe(s.limited)
    expect(inWindows.failed + s.ambiguous.failed).toBe(s.statuses['503'])
    for (const w of s.windows) expect(w.start).toBe(w.window * 200)
  })

  it('sends nothing that falls due within the guard of a window boundary', async () => {
    const t = await server()
    const r = await runPacedLoad({ targets: [t.url], streams: [{ name: 'g', rate: 1000, paths: ['/'], windowMs: 100, guardMs: 25 }], durationMs: 1000, progress: null })
    const s = r.streams[0]!
    // Half of every 100 ms window is guarded: about half of the 1,001 due instants are skipped.
    expect(s.due).toBeGreaterThan(400)
    expect(s.due).toBeLessThan(600)
    expect(s.sent).toBe(s.due)
  })

  it('never has more than maxInFlight requests outstanding: the rest are counted as skipped', async () => {
    const t = await server(() => undefined) // never answers
    const r = await runPacedLoad({ targets: [t.url], streams: [{ name: 'stuck', rate: 200, paths: ['/'] }], durationMs: 500, maxInFlight: 5, connectionsPerPool: 10, timeoutMs: 1000, progress: null })
    const s = r.streams[0]!
    expect(s.due).toBe(101)
    expect(s.sent).toBe(5)
    expect(s.skipped).toBe(96)
    expect(s.completed).toBe(0)
    expect(s.errors).toBe(5)
  })

  it('counts connection failures as errors', async () => {
    const t = await server()
    servers.splice(0).forEach((s) => s.close())
    const r = await runPacedLoad({ targets: [t.url], streams: [{ name: 'down', rate: 100, paths: ['/'] }], durationMs: 200, progress: null })
    const s = r.streams[0]!
    expect(s.sent).toBe(21)
    expect(s.errors).toBe(21)
    expect(s.completed).toBe(0)
  })

  it('refuses options it cannot honour', async () => {
    const code = { code: 'MELIPROXY_ERR_BENCH_OPTIONS_INVALID' }
    await expect(runPacedLoad({ targets: [], streams: [{ name: 'x', rate: 1, paths: ['/'] }], durationMs: 1 })).rejects.toMatchObject(code)
    await expect(runPacedLoad({ targets: ['http://127.0.0.1:1'], streams: [{ name: 'x', rate: 0, paths: ['/'] }], durationMs: 1 })).rejects.toMatchObject(code)
    await expect(runPacedLoad({ targets: ['http://127.0.0.1:1'], streams: [{ name: 'x', rate: 1, paths: ['/'], weights: [1, 2] }], durationMs: 1 })).rejects.toMatchObject(code)
    await expect(runPacedLoad({ targets: ['http://127.0.0.1:1'], streams: [{ name: 'x', rate: 1, paths: ['/'], windowMs: 100, guardMs: 50 }], durationMs: 1 })).rejects.toMatchObject(code)
  })
})

describe('window attribution', () => {
  it('puts an answer in a window only when its request was sent in that same window', () => {
    expect(sharedWindow(60_000, 119_999, 60_000)).toBe(1)
    expect(sharedWindow(119_999, 120_000, 60_000)).toBeUndefined()
    expect(sharedWindow(120_000, 120_000, 60_000)).toBe(2)
  })

  it('knows which instants lie near a boundary', () => {
    expect(nearBoundary(60_000, 60_000, 100)).toBe(true)
    expect(nearBoundary(60_099, 60_000, 100)).toBe(true)
    expect(nearBoundary(60_100, 60_000, 100)).toBe(false)
    expect(nearBoundary(119_900, 60_000, 100)).toBe(true)
    expect(nearBoundary(119_899, 60_000, 100)).toBe(false)
    expect(nearBoundary(60_000, 60_000, 0)).toBe(false)
  })
})
