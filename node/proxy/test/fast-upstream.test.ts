// The fast upstream client against undici: the same request, through each client, to the same upstream (the local
// origin, or a scripted raw server for what no good origin does) must reach the handler the same way: status, raw
// header bytes, body bytes, trailers, and for failures the 502/504 the proxy would answer. Then what only the fast
// client has: pipelining and its batching, the retry rules when a connection dies, aborts inside a pipeline,
// per-request deadlines, TLS session reuse, and the proxy's routing of GET/HEAD to it.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import fc from 'fast-check'
import { Pool } from 'undici'
import { Socket } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { deterministicBytes, startOrigin, type Origin } from '../../origin/index.js'
import { TestCluster, freePorts, waitFor } from '../../testing/test-cluster.js'
import { FastUpstream, type FastUpstreamOptions } from '../fast-upstream.js'
import { Upstream } from '../upstream.js'
import { gatewayErrorFor } from '../upstream-errors.js'
import type { UpstreamHandler } from '../upstream-request.js'
import { lengthResponse, RawUpstream, selfSignedIdentity, type Responder } from './raw-upstream.js'

interface Transcript {
  interim: Array<{ status: number; headers: string[] }>
  status: number
  statusText: string
  headers: string[]
  body: Buffer
  trailers: string[]
  /** How the request failed, if it did: the error's code, the status the proxy would answer, and whether the status line had already gone out. */
  error: { code: string; gateway: number; afterHeaders: boolean } | null
}

interface RecorderOptions {
  /** Slow reader: the first `slowChunks` onData calls return false and resume after `pauseMs`. */
  slowChunks?: number
  pauseMs?: number
  onData?: (rec: Recorder, chunk: Buffer) => void
}

/** A handler that writes down everything it is told, in undici's legacy dispatch shape. */
class Recorder implements UpstreamHandler {
  readonly t: Transcript = { interim: [], status: 0, statusText: '', headers: [], body: Buffer.alloc(0), trailers: [], error: null }
  abort: ((err?: Error) => void) | null = null
  completedAt = 0
  readonly done: Promise<Transcript>
  private resolve!: (t: Transcript) => void
  private chunks: Buffer[] = []
  private resumeFn: (() => void) | null = null
  private slowLeft: number
  private ended = false

  constructor(private readonly opts: RecorderOptions = {}) {
    this.slowLeft = opts.slowChunks ?? 0
    this.done = new Promise((r) => (this.resolve = r))
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort
  }

  onHeaders(status: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    const text = headers.map((h) => h.toString('latin1'))
    if (status < 200) {
      this.t.interim.push({ status, headers: text })
      return true
    }
    this.t.status = status
    this.t.statusText = statusText
    this.t.headers = text
    this.resumeFn = resume
    return true
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(Buffer.from(chunk))
    this.opts.onData?.(this, chunk)
    if (this.slowLeft > 0) {
      this.slowLeft--
      setTimeout(() => this.resumeFn?.(), this.opts.pauseMs ?? 5)
      return false
    }
    return true
  }

  onComplete(trailers: Buffer[] | null): void {
    this.t.trailers = (trailers ?? []).map((h) => h.toString('latin1'))
    this.finish()
  }

  onError(err: Error): void {
    this.t.error = { code: (err as { code?: string }).code ?? err.name, gateway: gatewayErrorFor(err).status, afterHeaders: this.t.status !== 0 }
    this.finish()
  }

  private finish(): void {
    if (this.ended) throw new Error('the handler was ended twice')
    this.ended = true
    this.t.body = Buffer.concat(this.chunks)
    this.completedAt = performance.now()
    this.resolve(this.t)
  }
}

type Client = FastUpstream | Pool

function send(client: Client, origin: string, path: string, opts: { method?: string; headers?: string[]; rec?: Recorder } = {}): Recorder {
  const rec = opts.rec ?? new Recorder()
  const headers = ['host', new URL(origin).host, 'accept', '*/*', ...(opts.headers ?? [])]
  const method = opts.method ?? 'GET'
  if (client instanceof FastUpstream) client.dispatch({ path, method, headers }, rec)
  else client.dispatch({ origin, path, method, headers }, rec)
  return rec
}

/** The same request through both clients, one after the other. */
async function both(clients: { fast: FastUpstream; undici: Pool }, origin: string, path: string, method = 'GET'): Promise<[Transcript, Transcript]> {
  const f = await send(clients.fast, origin, path, { method }).done
  const u = await send(clients.undici, origin, path, { method }).done
  return [f, u]
}

/**
 * What must be the same whichever client carried the request (error codes differ by design; their meaning may not).
 * The body is compared by digest: a deep comparison of megabytes, element by element, takes the test runner minutes.
 */
function comparable(t: Transcript): unknown {
  return {
    ...t,
    // The origin's Date is the second it answered: two requests a moment apart may straddle a second.
    headers: t.headers.map((h, i) => (i % 2 === 1 && t.headers[i - 1]!.toLowerCase() === 'date' ? '(a date)' : h)),
    body: `${t.body.length} bytes, sha256 ${createHash('sha256').update(t.body).digest('hex')}`,
    error: t.error === null ? null : { gateway: t.error.gateway, afterHeaders: t.error.afterHeaders },
  }
}

const BLACKHOLE_PY = `
import socket, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)
fillers = []
for i in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(s.getsockname())
    except BlockingIOError: pass
    fillers.append(c)
print(s.getsockname()[1], flush=True)
time.sleep(60)
`

const SETTINGS = { timeoutMs: 2000, connectTimeoutMs: 2000, bodyTimeoutMs: 2000, keepAliveTimeoutMs: 4000 }

function clientsFor(url: string, fastOptions: Partial<FastUpstreamOptions> = {}, undiciConnect: Record<string, unknown> = {}): { fast: FastUpstream; undici: Pool } {
  return {
    fast: new FastUpstream({ url, connections: 4, pipelining: 4, headersTimeoutMs: SETTINGS.timeoutMs, bodyTimeoutMs: SETTINGS.bodyTimeoutMs, connectTimeoutMs: SETTINGS.connectTimeoutMs, ...fastOptions }),
    undici: new Pool(url, {
      connections: 4,
      pipelining: 1,
      headersTimeout: fastOptions.headersTimeoutMs ?? SETTINGS.timeoutMs,
      bodyTimeout: fastOptions.bodyTimeoutMs ?? SETTINGS.bodyTimeoutMs,
      connect: { timeout: SETTINGS.connectTimeoutMs, ...undiciConnect },
    }),
  }
}

const cleanups: Array<() => Promise<unknown> | unknown> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function rawUpstream(respond: Responder, opts?: Parameters<typeof RawUpstream.start>[1]): Promise<RawUpstream> {
  const raw = await RawUpstream.start(respond, opts)
  cleanups.push(() => raw.close())
  return raw
}

function clients(url: string, fastOptions: Partial<FastUpstreamOptions> = {}, undiciConnect: Record<string, unknown> = {}): { fast: FastUpstream; undici: Pool } {
  const c = clientsFor(url, fastOptions, undiciConnect)
  cleanups.push(() => c.fast.close(), () => c.undici.destroy())
  return c
}

/** Answers every request with its path as the body. */
const echoPath: Responder = (req, socket) => {
  socket.write(lengthResponse(req.path))
}

// ---------------------------------------------------------------------------------------------------------------------

describe('the same as undici, against the local origin', () => {
  let origin: Origin
  let c: { fast: FastUpstream; undici: Pool }
  beforeAll(async () => {
    origin = await startOrigin({ port: 0 })
    c = clientsFor(origin.url)
  })
  afterAll(async () => {
    await c?.fast.close()
    await c?.undici.destroy()
    await origin?.close()
  })

  it.each([
    ['GET', '/categories/MLA97994'],
    ['GET', '/items/MLA123456?attributes=id,price'],
    ['GET', '/items/not-an-id'],
    ['GET', '/__origin/headers'], // three set-cookie, a raw 0xE9 byte, an empty value, a long value
    ['GET', '/__origin/status/204'],
    ['GET', '/__origin/status/304'],
    ['GET', '/__origin/status/500'],
    ['GET', '/__origin/chunked?n=300000&chunk=7000'],
    ['HEAD', '/categories/MLA97994'],
    ['HEAD', '/__origin/chunked?n=1000&chunk=100'],
  ])('%s %s', async (method, path) => {
    const [f, u] = await both(c, origin.url, path, method)
    expect(f.error).toBeNull()
    expect(comparable(f)).toEqual(comparable(u))
  })

  it('relays a large body intact to a slow reader (the connection pauses and resumes)', async () => {
    const n = 4 * 1024 * 1024
    const expected = createHash('sha256').update(deterministicBytes(0, n)).digest('hex')
    const [f, u] = await Promise.all(
      [c.fast, c.undici].map((client) => send(client, origin.url, `/__origin/bytes?n=${n}`, { rec: new Recorder({ slowChunks: 40, pauseMs: 5 }) }).done),
    )
    expect(f!.error).toBeNull()
    expect(f!.body.length).toBe(n)
    expect(createHash('sha256').update(f!.body).digest('hex')).toBe(expected)
    expect(comparable(f!)).toEqual(comparable(u!))
  })
})

describe('the same as undici, against a raw upstream', () => {
  const CHUNKED =
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n' +
    '5;ext=1;q="a;\\"b"\r\nhello\r\n' +
    '7;solo\r\n, world\r\n' +
    '0;last\r\nX-Checksum: abc123\r\nX-Latin1: caf\xe9\r\n\r\n'
  const replies: Record<string, string> = {
    '/chunked': CHUNKED,
    '/close-delimited': 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nno length: read until the connection closes',
    '/early-hints': 'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n' + lengthResponse('after hints'),
    '/reason': lengthResponse('x', '', '299 Custom Reason Here'),
    '/empty-reason': 'HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nok',
    '/http10': 'HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nold ok',
  }
  const malformed: Record<string, string> = {
    '/bad-status': 'HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n',
    '/not-http': 'SSH-2.0-OpenSSH_9.2\r\n\r\n',
    '/cl-and-te': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    '/two-lengths': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
    '/bad-chunk': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
    '/no-colon': 'HTTP/1.1 200 OK\r\nBroken header line\r\nContent-Length: 0\r\n\r\n',
    '/space-before-colon': 'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n',
    '/nul-in-value': 'HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n',
    '/obs-fold': 'HTTP/1.1 200 OK\r\nX-A: a\r\n  folded\r\nContent-Length: 0\r\n\r\n',
    '/unasked-101': 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    '/huge-head': `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\nContent-Length: 0\r\n\r\n`,
  }
  const respond: Responder = (req, socket) => {
    const text = replies[req.path] ?? malformed[req.path]
    if (text === undefined) {
      socket.write(lengthResponse(req.path))
      return
    }
    socket.write(Buffer.from(text, 'latin1'))
    // Without a length (or after bytes that are not HTTP) only the close ends the response.
    if (req.path === '/close-delimited' || req.path === '/http10' || req.path in malformed) socket.end()
  }

  it.each(Object.keys(replies))('%s', async (path) => {
    const raw = await rawUpstream(respond)
    const c = clients(raw.url)
    const [f, u] = await both(c, raw.url, path)
    expect(f.error).toBeNull()
    expect(comparable(f)).toEqual(comparable(u))
  })

  it('keeps chunk extensions out of the body and hands over trailers as raw bytes', async () => {
    const raw = await rawUpstream(respond)
    const c = clients(raw.url)
    const t = await send(c.fast, raw.url, '/chunked').done
    expect(t.body.toString()).toBe('hello, world')
    expect(t.trailers).toEqual(['X-Checksum', 'abc123', 'X-Latin1', 'caf\xe9'])
  })

  it('accepts whitespace around chunk-extension separators (RFC 9112 §7.1.1 BWS), which undici rejects', async () => {
    const raw = await rawUpstream((req, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 ; a = 1 ;b\r\nhello\r\n0\r\n\r\n')
    })
    const c = clients(raw.url)
    const [f, u] = await both(c, raw.url, '/bws')
    expect(f.error).toBeNull()
    expect(f.body.toString()).toBe('hello')
    expect(u.error?.gateway).toBe(502) // llhttp: "Invalid character in chunk size"
  })

  it.each(Object.keys(malformed))('malformed %s → 502 for that request', async (path) => {
    const raw = await rawUpstream(respond)
    const c = clients(raw.url)
    const [f, u] = await both(c, raw.url, path)
    expect(f.error?.gateway).toBe(502)
    expect(comparable(f)).toEqual(comparable(u))
  })

  it('answers 504 when no headers come within the timeout, like undici', async () => {
    const raw = await rawUpstream(() => {}) // reads the request, never answers
    const c = clients(raw.url, { headersTimeoutMs: 300 })
    const started = performance.now()
    const f = await send(c.fast, raw.url, '/hang').done
    const elapsed = performance.now() - started
    const u = await send(c.undici, raw.url, '/hang').done
    expect(f.error).toMatchObject({ code: 'MELIPROXY_ERR_UPSTREAM_HEADERS_TIMEOUT', gateway: 504, afterHeaders: false })
    expect(u.error).toMatchObject({ gateway: 504, afterHeaders: false })
    expect(elapsed).toBeGreaterThanOrEqual(299)
  })

  it('cuts a response whose body goes silent for bodyTimeoutMs, like undici', async () => {
    const raw = await rawUpstream((req, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst ten.')
    })
    const c = clients(raw.url, { bodyTimeoutMs: 300 })
    const [f, u] = await both(c, raw.url, '/stall')
    expect(f.error).toMatchObject({ code: 'MELIPROXY_ERR_UPSTREAM_BODY_TIMEOUT', afterHeaders: true })
    expect(comparable(f)).toEqual(comparable(u))
  })

  it('refuses to send what would break the request framing, like undici', async () => {
    const raw = await rawUpstream(echoPath)
    const c = clients(raw.url)
    for (const bad of [{ path: '/a b' }, { path: '/x', headers: ['x-evil', 'a\r\nInjected: 1'] }, { path: '/x', headers: ['bad name', '1'] }]) {
      const f = await send(c.fast, raw.url, bad.path, { headers: bad.headers ?? [] }).done
      const u = await send(c.undici, raw.url, bad.path, { headers: bad.headers ?? [] }).done
      expect(f.error).toMatchObject({ code: 'MELIPROXY_ERR_UPSTREAM_REQUEST_INVALID', gateway: 502 })
      expect(u.error?.gateway).toBe(502)
    }
    expect(raw.requests).toEqual([])
  })

  it('answers 502 with ECONNREFUSED when nothing listens, like undici', async () => {
    const [port] = await freePorts(1)
    const c = clients(`http://127.0.0.1:${port}`)
    const [f, u] = await both(c, `http://127.0.0.1:${port}`, '/x')
    expect(f.error).toMatchObject({ code: 'ECONNREFUSED', gateway: 502 })
    expect(comparable(f)).toEqual(comparable(u))
  })

  it('parses the same response the same however the upstream splits its bytes (fast-check)', async () => {
    const responses = [CHUNKED, lengthResponse('fixed length body', 'X-A: 1\r\n'), replies['/early-hints']!]
    let current: { text: string; cuts: number[] } = { text: '', cuts: [] }
    const raw = await rawUpstream(async (req, socket) => {
      const bytes = Buffer.from(current.text, 'latin1')
      let at = 0
      for (const cut of [...current.cuts.filter((x) => x > 0 && x < bytes.length).sort((a, b) => a - b), bytes.length]) {
        if (cut <= at) continue
        socket.write(bytes.subarray(at, cut))
        at = cut
        await new Promise((r) => setTimeout(r, 1)) // separate reads on the client side
      }
    })
    const c = clients(raw.url)
    const whole: Transcript[] = []
    for (const text of responses) {
      current = { text, cuts: [] }
      whole.push(await send(c.fast, raw.url, '/r').done)
    }
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: responses.length - 1 }), fc.array(fc.nat({ max: 260 }), { minLength: 1, maxLength: 8 }), async (which, cuts) => {
        current = { text: responses[which]!, cuts }
        const t = await send(c.fast, raw.url, '/r').done
        expect(t).toEqual(whole[which])
      }),
      { numRuns: 40 },
    )
  })
})

// ---------------------------------------------------------------------------------------------------------------------

describe('pipelining', () => {
  it('writes the requests of one event-loop turn in one write and answers each in order', async () => {
    const raw = await rawUpstream(echoPath)
    const { fast } = clients(raw.url, { connections: 1, pipelining: 4 })
    expect((await send(fast, raw.url, '/warm-up').done).status).toBe(200)
    // Count the writes on sockets towards the raw upstream (the client's), not the server's own.
    const port = Number(new URL(raw.url).port)
    const writes = vi.spyOn(Socket.prototype, 'write')
    try {
      const recs = ['/a', '/b', '/c', '/d'].map((p) => send(fast, raw.url, p))
      const bodies = (await Promise.all(recs.map((r) => r.done))).map((t) => t.body.toString())
      expect(bodies).toEqual(['/a', '/b', '/c', '/d'])
      expect(writes.mock.contexts.filter((s) => (s as Socket).remotePort === port)).toHaveLength(1)
    } finally {
      writes.mockRestore()
    }
    expect(raw.connections).toBe(1)
    expect(raw.requests.slice(1).map((r) => r.behind)).toEqual([0, 1, 2, 3]) // pipelined: all four outstanding at once
  })

  it('a slow reader holds back the response pipelined behind its own (head-of-line), and both arrive intact', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024)
    const raw = await rawUpstream((req, socket) => {
      socket.write(lengthResponse(req.path === '/big' ? big : req.path))
    })
    const { fast } = clients(raw.url, { connections: 1, pipelining: 2 })
    const slow = send(fast, raw.url, '/big', { rec: new Recorder({ slowChunks: 20, pauseMs: 10 }) })
    const behind = send(fast, raw.url, '/behind')
    const [s, b] = await Promise.all([slow.done, behind.done])
    expect(s.body.equals(Buffer.from(big))).toBe(true)
    expect(b.body.toString()).toBe('/behind')
    expect(raw.connections).toBe(1)
    expect(behind.completedAt).toBeGreaterThanOrEqual(slow.completedAt)
  })

  it('keeps at most `pipelining` requests outstanding per connection; pipelining 1 never pipelines', async () => {
    for (const depth of [1, 4]) {
      const raw = await rawUpstream(async (req, socket) => {
        await new Promise((r) => setTimeout(r, 15))
        socket.write(lengthResponse(req.path))
      })
      const { fast } = clients(raw.url, { connections: 1, pipelining: depth })
      const paths = Array.from({ length: 8 }, (_, i) => `/r${i}`)
      const ts = await Promise.all(paths.map((p) => send(fast, raw.url, p).done))
      expect(ts.map((t) => t.body.toString())).toEqual(paths)
      expect(raw.connections).toBe(1)
      expect(raw.maxWaiting).toBe(depth)
    }
  })

  it('uses up to `connections` connections when every pipeline is busy', async () => {
    const raw = await rawUpstream(async (req, socket) => {
      await new Promise((r) => setTimeout(r, 20))
      socket.write(lengthResponse(req.path))
    })
    const { fast } = clients(raw.url, { connections: 3, pipelining: 2 })
    const ts = await Promise.all(Array.from({ length: 12 }, (_, i) => send(fast, raw.url, `/r${i}`).done))
    expect(ts.every((t) => t.status === 200)).toBe(true)
    expect(raw.connections).toBe(3)
    expect(raw.maxWaiting).toBeLessThanOrEqual(2)
  })

  it('a response with Connection: close ends the pipeline; the requests behind it go out again on a fresh connection', async () => {
    const raw = await rawUpstream((req, socket) => {
      if (req.path === '/b') {
        socket.write(lengthResponse('/b', 'Connection: close\r\n'))
        socket.end()
      } else socket.write(lengthResponse(req.path))
    })
    const c = clients(raw.url, { connections: 1, pipelining: 4 })
    const paths = ['/a', '/b', '/c', '/d']
    const f = await Promise.all(paths.map((p) => send(c.fast, raw.url, p).done))
    expect(f.map((t) => t.body.toString())).toEqual(paths)
    expect(raw.connections).toBe(2)
    expect(raw.requestsFor('/c').map((r) => r.connection)).toEqual([1, 2])
    // An announced end does not use up the one retry: sent again twice, it is still answered.
    const again = await Promise.all(['/b', '/c', '/b', '/d'].map((p) => send(c.fast, raw.url, p).done))
    expect(again.map((t) => t.body.toString())).toEqual(['/b', '/c', '/b', '/d'])
    const u = await Promise.all(paths.map((p) => send(c.undici, raw.url, p).done))
    expect(f.map(comparable)).toEqual(u.map(comparable))
  })

  it('a response read until close ends the pipeline; the ones behind are sent again', async () => {
    const raw = await rawUpstream((req, socket) => {
      if (req.path === '/nolen' && req.connection === 1) {
        socket.write('HTTP/1.1 200 OK\r\n\r\nuntil close')
        socket.end()
      } else socket.write(lengthResponse(req.path))
    })
    const { fast } = clients(raw.url, { connections: 1, pipelining: 4 })
    const ts = await Promise.all(['/nolen', '/x', '/y'].map((p) => send(fast, raw.url, p).done))
    expect(ts.map((t) => t.body.toString())).toEqual(['until close', '/x', '/y'])
    expect(raw.connections).toBe(2)
  })

  it('a 304 or 204 with a Content-Length is bodiless, so the next pipelined response parses', async () => {
    const raw = await rawUpstream((req, socket) => {
      if (req.path === '/304') socket.write('HTTP/1.1 304 Not Modified\r\nContent-Length: 500\r\nETag: "x"\r\n\r\n')
      else if (req.path === '/204') socket.write('HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n')
      else socket.write(lengthResponse(req.path))
    })
    const { fast } = clients(raw.url, { connections: 1, pipelining: 4 })
    const ts = await Promise.all(['/304', '/204', '/after'].map((p) => send(fast, raw.url, p).done))
    expect(ts.map((t) => [t.status, t.body.toString()])).toEqual([[304, ''], [204, ''], [200, '/after']])
    expect(raw.connections).toBe(1)
  })

  it('a HEAD ends the pipeline: a server that wrongly sends a body with it cannot hand those bytes to the next request', async () => {
    const raw = await rawUpstream((req, socket) => {
      socket.write(lengthResponse(req.path)) // a body even for HEAD
    })
    const { fast } = clients(raw.url, { connections: 1, pipelining: 4 })
    const ts = await Promise.all([send(fast, raw.url, '/before'), send(fast, raw.url, '/head', { method: 'HEAD' }), send(fast, raw.url, '/after')].map((r) => r.done))
    expect(ts.map((t) => [t.status, t.headers.join(':'), t.body.toString()])).toEqual([
      [200, 'Content-Type:text/plain:Content-Length:7', '/before'],
      [200, 'Content-Type:text/plain:Content-Length:5', ''],
      [200, 'Content-Type:text/plain:Content-Length:6', '/after'],
    ])
    expect(raw.requestsFor('/after').map((r) => r.connection)).toEqual([2])
  })

  it('queues no request behind a response still streaming; it takes another connection or waits its end', async () => {
    const raw = await rawUpstream(async (req, socket) => {
      if (req.path !== '/stream') {
        socket.write(lengthResponse(req.path))
        return
      }
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n${'a'.repeat(100_000)}`)
      await new Promise((r) => setTimeout(r, 100))
      socket.write('b'.repeat(100_000))
    })
    for (const connections of [2, 1]) {
      const { fast } = clients(raw.url, { connections, pipelining: 4 })
      let quick: Recorder | null = null
      const stream = send(fast, raw.url, '/stream', { rec: new Recorder({ onData: () => (quick ??= send(fast, raw.url, '/quick')) }) })
      const s = await stream.done
      const q = await waitFor(() => quick, { timeoutMs: 3000, what: 'the quick request to be sent' }).then((r) => r.done)
      expect(s.body.length).toBe(200_000)
      expect(q.body.toString()).toBe('/quick')
      const quickOn = raw.requests[raw.requests.length - 1]!
      const streamOn = raw.requests[raw.requests.length - 2]!
      if (connections === 2) {
        // Not behind the stream: on the other connection, answered before the stream ended.
        expect(quickOn.connection).not.toBe(streamOn.connection)
        expect(quick!.completedAt).toBeLessThan(stream.completedAt)
      } else {
        // Only one connection: sent once the stream had ended, not pipelined behind it.
        expect(quickOn.connection).toBe(streamOn.connection)
        expect(quickOn.behind).toBe(0)
        expect(quick!.completedAt).toBeGreaterThan(stream.completedAt)
      }
      await fast.close()
    }
  })
})

describe('when a connection dies with requests in flight', () => {
  it('the response that had begun fails; the requests behind it that got no byte are retried on a fresh connection', async () => {
    const raw = await rawUpstream(async (req, socket) => {
      if (req.path === '/dies') {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly part of it')
        await new Promise((r) => setTimeout(r, 20))
        socket.destroy()
      } else socket.write(lengthResponse(req.path))
    })
    const c = clients(raw.url, { connections: 1, pipelining: 4 })
    const paths = ['/ok', '/dies', '/behind']
    const f = await Promise.all(paths.map((p) => send(c.fast, raw.url, p).done))
    expect(f[0]!.body.toString()).toBe('/ok')
    expect(f[1]!.error).toMatchObject({ gateway: 502, afterHeaders: true })
    expect(f[2]!.body.toString()).toBe('/behind')
    expect(raw.requestsFor('/dies')).toHaveLength(1) // never sent twice: bytes of its answer had arrived
    expect(raw.requestsFor('/behind').map((r) => r.connection)).toEqual([1, 2])
    const u = await Promise.all(paths.map((p) => send(c.undici, raw.url, p).done))
    expect(f.map(comparable)).toEqual(u.map(comparable))
  })

  it('a request that got no byte is retried once: a second silent death fails it with 502', async () => {
    const raw = await rawUpstream((req, socket) => {
      if (req.path.startsWith('/always-dies') || (req.path === '/dies-once' && req.connection === 1)) socket.destroy()
      else socket.write(lengthResponse(req.path))
    })
    const { fast } = clients(raw.url, { connections: 1, pipelining: 1 })
    const once = await send(fast, raw.url, '/dies-once').done
    expect(once.body.toString()).toBe('/dies-once')
    expect(raw.requestsFor('/dies-once')).toHaveLength(2)
    const twice = await send(fast, raw.url, '/always-dies').done
    expect(twice.error).toMatchObject({ gateway: 502, afterHeaders: false })
    expect(raw.requestsFor('/always-dies')).toHaveLength(2)
    expect((await send(fast, raw.url, '/still-serving').done).status).toBe(200)
  })

  it('a malformed response fails that request and closes the connection; the ones behind are answered', async () => {
    const raw = await rawUpstream((req, socket) => {
      if (req.path === '/garbage') socket.write('HTTP/1.1 OK 200\r\n\r\n')
      else socket.write(lengthResponse(req.path))
    })
    const { fast } = clients(raw.url, { connections: 1, pipelining: 4 })
    const ts = await Promise.all(['/garbage', '/next', '/last'].map((p) => send(fast, raw.url, p).done))
    expect(ts[0]!.error).toMatchObject({ code: 'MELIPROXY_ERR_UPSTREAM_MALFORMED_RESPONSE', gateway: 502 })
    expect(ts.slice(1).map((t) => t.body.toString())).toEqual(['/next', '/last'])
    await waitFor(() => raw.closedConnections >= 1, { timeoutMs: 3000, what: 'the first connection to be closed' })
    expect(raw.connections).toBe(2)
  })

  it('times out each request from its own dispatch, also while it waits for a connection', async () => {
    const raw = await rawUpstream(() => {})
    const { fast } = clients(raw.url, { connections: 1, pipelining: 1, headersTimeoutMs: 1000 })
    const started = performance.now()
    const recs = ['/h1', '/h2', '/h3'].map((p) => send(fast, raw.url, p))
    const ts = await Promise.all(recs.map((r) => r.done))
    for (const t of ts) expect(t.error).toMatchObject({ code: 'MELIPROXY_ERR_UPSTREAM_HEADERS_TIMEOUT', gateway: 504 })
    // One after another would take 3 × 1000 ms; each has its own deadline, so all end at about 1000 ms.
    for (const r of recs) expect(r.completedAt - started).toBeLessThan(1900)
  })

  it('closes the connection on a response nobody asked for, never handing it to the next request', async () => {
    const raw = await rawUpstream((req, socket) => {
      socket.write(req.path === '/one' ? lengthResponse('/one') + lengthResponse('unasked') : lengthResponse(req.path))
    })
    const { fast } = clients(raw.url, { connections: 1, pipelining: 4 })
    // /two is queued on the same connection while the stray bytes are still to be parsed, before it is even written.
    let two: Recorder | null = null
    const one = new Recorder()
    const onComplete = one.onComplete.bind(one)
    one.onComplete = (trailers) => {
      two = send(fast, raw.url, '/two')
      onComplete(trailers)
    }
    expect((await send(fast, raw.url, '/one', { rec: one }).done).body.toString()).toBe('/one')
    const t = await waitFor(() => two, { timeoutMs: 3000, what: '/two to be sent' }).then((r) => r.done)
    expect(t.body.toString()).toBe('/two')
    expect(raw.requestsFor('/two').map((r) => r.connection)).toEqual([2])
  })
})

describe('aborts inside a pipeline', () => {
  it('a request aborted before its response began: its response is read and thrown away, the connection goes on', async () => {
    const raw = await rawUpstream(async (req, socket) => {
      if (req.path === '/slow') await new Promise((r) => setTimeout(r, 50))
      socket.write(lengthResponse(req.path))
    })
    const { fast } = clients(raw.url, { connections: 1, pipelining: 4 })
    const slow = send(fast, raw.url, '/slow')
    const aborted = send(fast, raw.url, '/aborted')
    const next = send(fast, raw.url, '/next')
    aborted.abort!()
    const [s, a, n] = await Promise.all([slow.done, aborted.done, next.done])
    expect(a.error?.code).toBe('MELIPROXY_ERR_UPSTREAM_REQUEST_ABORTED')
    expect([s.body.toString(), n.body.toString()]).toEqual(['/slow', '/next'])
    expect(raw.requestsFor('/aborted')).toHaveLength(1)
    expect(raw.connections).toBe(1)
  })

  it('a request aborted mid-body closes the connection; the requests behind go out again', async () => {
    const raw = await rawUpstream((req, socket) => {
      if (req.path === '/stream') socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${'s'.repeat(1000)}`)
      else socket.write(lengthResponse(req.path))
    })
    const { fast } = clients(raw.url, { connections: 1, pipelining: 4 })
    const stream = send(fast, raw.url, '/stream', { rec: new Recorder({ onData: (rec) => rec.abort!(new Error('client went away')) }) })
    const behind = send(fast, raw.url, '/behind')
    const [s, b] = await Promise.all([stream.done, behind.done])
    expect(s.error).toMatchObject({ afterHeaders: true })
    expect(b.body.toString()).toBe('/behind')
    expect(raw.requestsFor('/behind').map((r) => r.connection)).toEqual([1, 2])
    await waitFor(() => raw.closedConnections >= 1, { timeoutMs: 3000, what: 'the aborted response’s connection to close' })
  })

  it('a discarded response larger than 64 KiB closes the connection instead of being read', async () => {
    const raw = await rawUpstream(async (req, socket) => {
      if (req.path === '/huge') {
        await new Promise((r) => setTimeout(r, 30))
        socket.write(lengthResponse('h'.repeat(200 * 1024)))
      } else socket.write(lengthResponse(req.path))
    })
    const { fast } = clients(raw.url, { connections: 1, pipelining: 4 })
    const huge = send(fast, raw.url, '/huge')
    const next = send(fast, raw.url, '/next')
    huge.abort!()
    expect((await next.done).body.toString()).toBe('/next')
    expect(raw.requestsFor('/next').map((r) => r.connection)).toEqual([1, 2])
  })
})

describe('connections', () => {
  it('closes a connection idle for keepAliveTimeoutMs', async () => {
    const raw = await rawUpstream(echoPath)
    const { fast } = clients(raw.url, { keepAliveTimeoutMs: 200 })
    expect((await send(fast, raw.url, '/x').done).status).toBe(200)
    expect(fast.openConnections).toBe(1)
    await waitFor(() => raw.closedConnections === 1, { timeoutMs: 3000, what: 'the idle connection to be closed' })
    expect(fast.openConnections).toBe(0)
    expect((await send(fast, raw.url, '/y').done).status).toBe(200)
  })

  it.skipIf(!existsSync('/usr/bin/python3'))('answers 504 when the connection is not established in connectTimeoutMs, like undici; the headers deadline holds meanwhile', async () => {
    // A listening socket that never accepts, its backlog full: connection attempts hang (SYNs are dropped).
    const blackhole = spawn('/usr/bin/python3', ['-c', BLACKHOLE_PY], { stdio: ['ignore', 'pipe', 'inherit'] })
    cleanups.push(() => blackhole.kill())
    const port = await new Promise<number>((resolve) => blackhole.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))))
    const url = `http://127.0.0.1:${port}`
    const c = clients(url, { connectTimeoutMs: 500, headersTimeoutMs: 5000 })
    const [f, u] = await both(c, url, '/x')
    expect(f.error).toMatchObject({ code: 'MELIPROXY_ERR_UPSTREAM_CONNECT_TIMEOUT', gateway: 504 })
    expect(comparable(f)).toEqual(comparable(u))
    const short = clients(url, { connectTimeoutMs: 5000, headersTimeoutMs: 400 })
    const started = performance.now()
    const t = await send(short.fast, url, '/y').done
    expect(t.error).toMatchObject({ code: 'MELIPROXY_ERR_UPSTREAM_HEADERS_TIMEOUT', gateway: 504 })
    expect(performance.now() - started).toBeLessThan(4000)
  })

  it('relays 1xx to the handler and then the final response (undici fails on 100 Continue; this client follows RFC 9110)', async () => {
    const raw = await rawUpstream((req, socket) => {
      socket.write('HTTP/1.1 100 Continue\r\n\r\n' + lengthResponse('final'))
    })
    const { fast } = clients(raw.url)
    const t = await send(fast, raw.url, '/c').done
    expect(t.interim).toEqual([{ status: 100, headers: [] }])
    expect(t.body.toString()).toBe('final')
  })

  it('fails what is queued or in flight when closed', async () => {
    const raw = await rawUpstream(() => {})
    const fast = new FastUpstream({ url: raw.url, connections: 1, pipelining: 1 })
    const recs = [send(fast, raw.url, '/a'), send(fast, raw.url, '/b')]
    await waitFor(() => raw.requests.length === 1, { timeoutMs: 3000, what: 'the first request to arrive' })
    await fast.close()
    for (const t of await Promise.all(recs.map((r) => r.done))) expect(t.error?.code).toBe('MELIPROXY_ERR_UPSTREAM_CLIENT_CLOSED')
    expect((await send(fast, raw.url, '/c').done).error?.code).toBe('MELIPROXY_ERR_UPSTREAM_CLIENT_CLOSED')
  })
})

describe('over TLS', () => {
  const identity = selfSignedIdentity()

  it('speaks HTTPS with SNI = the host, resumes the TLS session on the next connection, and matches undici', async () => {
    const raw = await rawUpstream(
      (req, socket) => {
        // Every response closes its connection, so each request needs a new handshake.
        socket.write(lengthResponse(req.path, 'Connection: close\r\n'))
        socket.end()
      },
      { tls: identity, host: 'localhost' },
    )
    const c = clients(raw.url, { tls: { ca: identity.cert } }, { ca: identity.cert })
    const paths = ['/one', '/two', '/three']
    const f: Transcript[] = []
    for (const p of paths) f.push(await send(c.fast, raw.url, p).done)
    expect(f.map((t) => t.body.toString())).toEqual(paths)
    expect(raw.servernames.slice(0, 3)).toEqual(['localhost', 'localhost', 'localhost'])
    expect(c.fast.counters.connections).toBe(3)
    expect(c.fast.counters.tlsResumed).toBeGreaterThanOrEqual(1)
    const u: Transcript[] = []
    for (const p of paths) u.push(await send(c.undici, raw.url, p).done)
    expect(f.map(comparable)).toEqual(u.map(comparable))
  })

  it('refuses an upstream whose certificate is not trusted (502)', async () => {
    const raw = await rawUpstream(echoPath, { tls: identity, host: 'localhost' })
    const { fast } = clients(raw.url) // no `ca`: the self-signed certificate is unknown
    const t = await send(fast, raw.url, '/x').done
    expect(t.error?.gateway).toBe(502)
    expect(t.error?.code).toMatch(/CERT|SELF_SIGNED/)
  })
})

// ---------------------------------------------------------------------------------------------------------------------

describe('in the proxy (upstream.client)', () => {
  let cluster: TestCluster | undefined
  afterAll(async () => {
    await cluster?.close()
  })

  /** The request headers the origin received through the proxy. */
  async function echoVia(url: string, method: string): Promise<Record<string, string>> {
    const res = await fetch(`${url}/__origin/echo`, { method, ...(method === 'POST' ? { body: 'x' } : {}) })
    return ((await res.json()) as { headers: Record<string, string> }).headers
  }

  it('sends GET and HEAD through the fast client and everything else through undici', async () => {
    cluster = await TestCluster.start({ nodes: 1, upstreamSettings: { client: 'fast', pipelining: 2, fastConnections: 2 } as never })
    await cluster.waitReady()
    const proxy = cluster.nodes[0]!.http
    // undici says "connection: keep-alive" on every request; the fast client relies on HTTP/1.1's default.
    expect(await echoVia(proxy, 'GET')).not.toHaveProperty('connection')
    expect(await echoVia(proxy, 'POST')).toHaveProperty('connection', 'keep-alive')
    const head = await fetch(`${proxy}/categories/MLA97994`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe('1457')
    const recent = (await (await fetch(`${cluster.origin!.url}/__origin/events?recent=10`)).json()) as { recent: Array<{ method: string; connection: string | null }> }
    expect(recent.recent.find((r) => r.method === 'HEAD')?.connection).toBeNull()
  })

  it('with upstream.client: undici, GET goes through undici', async () => {
    await cluster?.close()
    cluster = await TestCluster.start({ nodes: 1, upstreamSettings: { client: 'undici' } as never })
    await cluster.waitReady()
    expect(await echoVia(cluster.nodes[0]!.http, 'GET')).toHaveProperty('connection', 'keep-alive')
  })

  it('the Upstream class builds the fast client only when asked', async () => {
    const fast = new Upstream({ url: 'http://127.0.0.1:1', connections: 1, client: 'fast', ...SETTINGS })
    const undici = new Upstream({ url: 'http://127.0.0.1:1', connections: 1, client: 'undici', ...SETTINGS })
    expect(fast.fast).toBeInstanceOf(FastUpstream)
    expect(undici.fast).toBeNull()
    await fast.close()
    await undici.close()
  })
})
