// The response parser alone: framing, limits, malformed input, and (fast-check) that the same bytes parse the same
// whatever the read boundaries and pauses.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Http1ResponseParser, PARSER_LIMITS, type ResponseParserSink } from '../http1-response-parser.js'

type Event =
  | { e: 'info'; status: number; reason: string; headers: string[] }
  | { e: 'head'; status: number; reason: string; headers: string[]; keepAlive: boolean }
  | { e: 'body'; data: string }
  | { e: 'end'; trailers: string[] }

const latin1 = (list: Buffer[]): string[] => list.map((b) => b.toString('latin1'))

/** Records what the parser reports; `heads` says which responses answer HEAD; `pauseEvery` makes onBody return false. */
class RecordingSink implements ResponseParserSink {
  readonly events: Event[] = []
  begins = 0
  pausedBodies = 0
  constructor(
    private readonly heads: boolean[] = [],
    private readonly pauseWhen: (n: number) => boolean = () => false,
  ) {}
  onMessageBegin(): boolean {
    return this.heads[this.begins++] ?? false
  }
  onInformational(status: number, reason: string, headers: Buffer[]): void {
    this.events.push({ e: 'info', status, reason, headers: latin1(headers) })
  }
  onHead(status: number, reason: string, headers: Buffer[], keepAlive: boolean): boolean {
    this.events.push({ e: 'head', status, reason, headers: latin1(headers), keepAlive })
    return true
  }
  onBody(chunk: Buffer): boolean {
    expect(chunk.length).toBeGreaterThan(0)
    const last = this.events[this.events.length - 1]
    // Chunk boundaries are not part of what a response means: adjacent body pieces merge.
    if (last?.e === 'body') last.data += chunk.toString('latin1')
    else this.events.push({ e: 'body', data: chunk.toString('latin1') })
    return !this.pauseWhen(this.pausedBodies++)
  }
  onEnd(trailers: Buffer[]): void {
    this.events.push({ e: 'end', trailers: latin1(trailers) })
  }
}

interface Outcome {
  events: Event[]
  error: string | null
  finish: 'ended' | 'idle' | 'cut' | null
}

/** Feeds `bytes` cut at `cuts`, resuming after every pause, then signals EOF when `eof`. */
function parse(bytes: Buffer, opts: { cuts?: number[]; heads?: boolean[]; pauseWhen?: (n: number) => boolean; eof?: boolean } = {}): Outcome {
  const sink = new RecordingSink(opts.heads, opts.pauseWhen)
  const parser = new Http1ResponseParser(sink)
  const cuts = [...new Set(opts.cuts ?? [])].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b)
  let at = 0
  let error: Error | null = null
  for (const end of [...cuts, bytes.length]) {
    error = parser.execute(bytes.subarray(at, end))
    while (error === null && parser.paused) error = parser.resume()
    if (error !== null) break
    at = end
  }
  const finish = error === null && opts.eof === true ? parser.finish() : null
  return { events: sink.events, error: error === null ? null : (error as { code?: string }).code ?? error.message, finish }
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1')

describe('framing', () => {
  it('reads a Content-Length body and keeps header bytes exact (case, OWS trimmed, Latin-1, empty value)', () => {
    const out = parse(b('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Case:  \tMiXeD\t \r\nX-Latin1: caf\xe9\r\nX-Empty:\r\n\r\nhello'))
    expect(out.error).toBeNull()
    expect(out.events).toEqual([
      { e: 'head', status: 200, reason: 'OK', headers: ['Content-Length', '5', 'X-Case', 'MiXeD', 'X-Latin1', 'caf\xe9', 'X-Empty', ''], keepAlive: true },
      { e: 'body', data: 'hello' },
      { e: 'end', trailers: [] },
    ])
  })

  it('reads chunked bodies with extensions (token and quoted values) and trailers', () => {
    const out = parse(b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' + '5;a=1;b="x;\\"y"\r\nhello\r\n' + '6 ; c\r\n world\r\n' + '0;last\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n'))
    expect(out.error).toBeNull()
    expect(out.events).toEqual([
      { e: 'head', status: 200, reason: 'OK', headers: ['Transfer-Encoding', 'chunked'], keepAlive: true },
      { e: 'body', data: 'hello world' },
      { e: 'end', trailers: ['X-Checksum', 'abc', 'X-Other', '1'] },
    ])
  })

  it('treats HEAD, 204 and 304 as bodiless whatever their headers say, and parses the next response right after', () => {
    const bytes = b(
      'HTTP/1.1 200 OK\r\nContent-Length: 1457\r\n\r\n' + // answers a HEAD
        'HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n' +
        'HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n' +
        'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    )
    const out = parse(bytes, { heads: [true, false, false, false] })
    expect(out.error).toBeNull()
    expect(out.events.map((e) => (e.e === 'head' ? e.status : e.e))).toEqual([200, 'end', 204, 'end', 304, 'end', 200, 'body', 'end'])
  })

  it('reports 1xx interim responses, then the final one for the same request', () => {
    const out = parse(b('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'))
    expect(out.error).toBeNull()
    expect(out.events).toEqual([
      { e: 'info', status: 103, reason: 'Early Hints', headers: ['Link', '</a.css>; rel=preload'] },
      { e: 'info', status: 100, reason: 'Continue', headers: [] },
      { e: 'head', status: 200, reason: 'OK', headers: ['Content-Length', '0'], keepAlive: true },
      { e: 'end', trailers: [] },
    ])
  })

  it('reads a body without length until the connection closes, and says the connection cannot be reused', () => {
    const out = parse(b('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this, until EOF'), { eof: true })
    expect(out.events).toEqual([
      { e: 'head', status: 200, reason: 'OK', headers: ['Content-Type', 'text/plain'], keepAlive: false },
      { e: 'body', data: 'all of this, until EOF' },
      { e: 'end', trailers: [] },
    ])
    expect(out.finish).toBe('ended')
  })

  it('reads until close when Transfer-Encoding does not end in chunked', () => {
    const out = parse(b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nraw'), { eof: true })
    expect(out.events.map((e) => e.e)).toEqual(['head', 'body', 'end'])
    expect(out.finish).toBe('ended')
  })

  it('knows when a connection cannot carry another response: Connection: close, HTTP/1.0 without keep-alive', () => {
    const heads = (text: string): boolean[] => parse(b(text)).events.flatMap((e) => (e.e === 'head' ? [e.keepAlive] : []))
    expect(heads('HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n')).toEqual([false])
    expect(heads('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n')).toEqual([false])
    expect(heads('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n')).toEqual([true])
    expect(heads('HTTP/1.1 200 OK\r\nConnection: X-Hop\r\nContent-Length: 0\r\n\r\n')).toEqual([true])
  })

  it('says a response was cut when the connection ends mid-response, and idle between responses', () => {
    expect(parse(b('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf'), { eof: true }).finish).toBe('cut')
    expect(parse(b('HTTP/1.1 200 OK\r\nContent-Le'), { eof: true }).finish).toBe('cut')
    expect(parse(b('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'), { eof: true }).finish).toBe('idle')
  })
})

describe('malformed responses are rejected', () => {
  const cases: Array<[string, string]> = [
    ['not HTTP', 'GARBAGE\r\n\r\n'],
    ['HTTP/2 status line', 'HTTP/2 200 OK\r\n\r\n'],
    ['a non-numeric status', 'HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n'],
    ['a two-digit status', 'HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n'],
    ['no space after the status', 'HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n'],
    ['a header without a colon', 'HTTP/1.1 200 OK\r\nNoColon\r\nContent-Length: 0\r\n\r\n'],
    ['a space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n'],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 0\r\n\r\n'],
    ['NUL in a value', 'HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n'],
    ['a bare CR in a value', 'HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n'],
    ['a bare LF inside the head', 'HTTP/1.1 200 OK\r\nX-A: a\nX-B: b\r\nContent-Length: 0\r\n\r\n'],
    ['a head ended with bare LFs', 'HTTP/1.1 200 OK\nContent-Length: 0\n\n'],
    ['Content-Length and Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['two Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'],
    ['a Content-Length list', 'HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc'],
    ['a negative Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'],
    ['an empty Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n'],
    ['a Content-Length beyond 2^53', 'HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999\r\n\r\n'],
    ['chunked twice', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip, chunked\r\n\r\n0\r\n\r\n'],
    ['a chunk size that is not hex', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['a missing chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;ext\r\n'],
    ['a chunk without its CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n'],
    ['a chunk size line with a bare LF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n'],
    ['a chunk extension with a bad byte', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b@c\r\nabc\r\n0\r\n\r\n'],
    ['bytes right after a quoted extension', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;a="b"c\r\nabc\r\n0\r\n\r\n'],
    ['an unterminated quoted extension', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;a="b\r\nabc\r\n0\r\n\r\n'],
    ['a chunk size over 2^48', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000001\r\n'],
    ['a malformed trailer', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer\r\n\r\n'],
    ['an unrequested 101', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n'],
  ]
  it.each(cases)('%s', (_, text) => {
    const out = parse(b(text), { eof: true })
    expect(out.error).toBe('MELIPROXY_ERR_UPSTREAM_MALFORMED_RESPONSE')
    expect(out.events.filter((e) => e.e === 'end')).toEqual([])
  })

  it('rejects the same bytes whatever the read boundaries', () => {
    fc.assert(
      fc.property(fc.constantFrom(...cases.map((c) => c[1])), fc.array(fc.nat({ max: 200 }), { maxLength: 6 }), (text, cuts) => {
        expect(parse(b(text), { cuts, eof: true }).error).toBe('MELIPROXY_ERR_UPSTREAM_MALFORMED_RESPONSE')
      }),
      { numRuns: 300 },
    )
  })

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat({ max: 300 }), { maxLength: 4 }), (bytes, cuts) => {
        parse(Buffer.from(bytes), { cuts, eof: true })
        parse(Buffer.concat([b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), Buffer.from(bytes)]), { cuts, eof: true })
      }),
      { numRuns: 500 },
    )
  })
})

describe('limits', () => {
  const headOf = (bytes: number): string => {
    const prefix = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Big: '
    return `${prefix}${'a'.repeat(bytes - prefix.length - 4)}\r\n\r\n`
  }

  it(`accepts a head of exactly ${PARSER_LIMITS.maxHeaderBytes} bytes and rejects one byte more, in one read or many`, () => {
    expect(headOf(PARSER_LIMITS.maxHeaderBytes).length).toBe(PARSER_LIMITS.maxHeaderBytes)
    for (const cuts of [[], [100, 30_000, 65_000]]) {
      expect(parse(b(headOf(PARSER_LIMITS.maxHeaderBytes)), { cuts }).error).toBeNull()
      expect(parse(b(headOf(PARSER_LIMITS.maxHeaderBytes + 1)), { cuts }).error).toBe('MELIPROXY_ERR_UPSTREAM_HEADERS_TOO_LARGE')
    }
  })

  it('rejects a head that keeps coming without an end once it passes the limit (not at EOF)', () => {
    const sink = new RecordingSink()
    const parser = new Http1ResponseParser(sink)
    expect(parser.execute(b('HTTP/1.1 200 OK\r\nX-Endless: '))).toBeNull()
    let err: Error | null = null
    for (let i = 0; i < 100 && err === null; i++) err = parser.execute(b('a'.repeat(1024)))
    expect((err as { code?: string } | null)?.code).toBe('MELIPROXY_ERR_UPSTREAM_HEADERS_TOO_LARGE')
  })

  it(`limits a trailer section to ${PARSER_LIMITS.maxHeaderBytes} bytes`, () => {
    const trailer = (n: number): string => `X-T: ${'t'.repeat(n - 9)}\r\n\r\n`
    const body = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n'
    expect(parse(b(body + trailer(PARSER_LIMITS.maxHeaderBytes))).error).toBeNull()
    expect(parse(b(body + trailer(PARSER_LIMITS.maxHeaderBytes + 1))).error).toBe('MELIPROXY_ERR_UPSTREAM_HEADERS_TOO_LARGE')
  })

  it(`limits a chunk-size line to ${PARSER_LIMITS.maxChunkLineBytes} bytes`, () => {
    const line = (n: number): string => `1;x=${'e'.repeat(n - 6)}\r\n`
    const wrap = (l: string): string => `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${l}a\r\n0\r\n\r\n`
    expect(line(PARSER_LIMITS.maxChunkLineBytes).length).toBe(PARSER_LIMITS.maxChunkLineBytes)
    expect(parse(b(wrap(line(PARSER_LIMITS.maxChunkLineBytes)))).error).toBeNull()
    expect(parse(b(wrap(line(PARSER_LIMITS.maxChunkLineBytes + 1)))).error).toBe('MELIPROXY_ERR_UPSTREAM_MALFORMED_RESPONSE')
  })
})

describe('pausing', () => {
  it('stops at a false from onBody and continues on resume() with the held bytes', () => {
    const sink = new RecordingSink([], () => true)
    const parser = new Http1ResponseParser(sink)
    expect(parser.execute(b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n'))).toBeNull()
    expect(parser.paused).toBe(true)
    expect(sink.events.map((e) => e.e)).toEqual(['head', 'body'])
    expect(parser.resume()).toBeNull()
    expect(parser.paused).toBe(true)
    expect(parser.resume()).toBeNull()
    expect(parser.paused).toBe(false)
    expect(sink.events.map((e) => (e.e === 'head' ? e.status : e.e))).toEqual([200, 'body', 'end', 204, 'end'])
  })

  it('ends a Content-Length response whose last bytes got a false, and goes on to the next response', () => {
    const sink = new RecordingSink([], () => true)
    const parser = new Http1ResponseParser(sink)
    expect(parser.execute(b('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx'))).toBeNull()
    expect(parser.paused).toBe(false)
    expect(sink.events.map((e) => e.e)).toEqual(['head', 'body', 'end', 'head', 'body', 'end'])
  })
})

// ---- the same responses, any read boundaries, any pauses ----

interface ResponseModel {
  status: number
  headers: Array<[string, string]>
  framing: 'length' | 'chunked' | 'none' | 'head'
  body: string
  chunks: Array<{ size: number; ext: string }>
  trailers: Array<[string, string]>
}

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/)
const fieldValue = fc.stringMatching(/^[\x21-\x7e\x80-\xff]([\x20-\x7e\x80-\xff]{0,20}[\x21-\x7e\x80-\xff])?$/)
const framingHeader = /^(content-length|transfer-encoding|connection)$/i
const extension = fc.oneof(
  fc.constant(''),
  token.map((t) => `;${t}`),
  fc.tuple(token, token).map(([n, v]) => `;${n}=${v}`),
  fc.tuple(token, fc.stringMatching(/^[\x20\x21\x23-\x5b\x5d-\x7e]{0,10}$/)).map(([n, v]) => ` ; ${n}="${v}\\""`),
)
const responseModel: fc.Arbitrary<ResponseModel> = fc
  .record({
    status: fc.constantFrom(200, 201, 204, 301, 304, 404, 500, 503),
    headers: fc.array(fc.tuple(token, fieldValue), { maxLength: 6 }),
    framing: fc.constantFrom('length', 'chunked', 'head'),
    body: fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 200 }),
    cuts: fc.array(fc.nat({ max: 200 }), { maxLength: 4 }),
    exts: fc.array(extension, { minLength: 6, maxLength: 6 }),
    trailers: fc.array(fc.tuple(token, fieldValue), { maxLength: 2 }),
  })
  .map(({ status, headers, framing, body, cuts, exts, trailers }) => {
    const clean = headers.filter(([n]) => !framingHeader.test(n))
    const bodiless = framing === 'head' || status === 204 || status === 304
    const points = [...new Set(cuts.filter((c) => c > 0 && c < body.length))].sort((x, y) => x - y)
    const sizes = [...points, body.length].map((p, i, all) => p - (i === 0 ? 0 : all[i - 1]!)).filter((s) => s > 0)
    return {
      status,
      headers: clean,
      framing: bodiless ? (framing === 'head' ? 'head' : 'none') : framing,
      body: bodiless ? '' : body,
      chunks: sizes.map((size, i) => ({ size, ext: exts[i % exts.length]! })),
      trailers: framing === 'chunked' && !bodiless ? trailers.filter(([n]) => !framingHeader.test(n)) : [],
    } satisfies ResponseModel
  })

function render(r: ResponseModel): string {
  let head = `HTTP/1.1 ${r.status} Reason ${r.status}\r\n`
  for (const [n, v] of r.headers) head += `${n}: ${v}\r\n`
  if (r.framing === 'length' || r.framing === 'head') head += `Content-Length: ${r.framing === 'head' ? 77 : r.body.length}\r\n`
  if (r.framing !== 'chunked') return `${head}\r\n${r.framing === 'length' ? r.body : ''}`
  head += 'Transfer-Encoding: chunked\r\n\r\n'
  let at = 0
  for (const c of r.chunks) {
    head += `${c.size.toString(16)}${c.ext}\r\n${r.body.slice(at, at + c.size)}\r\n`
    at += c.size
  }
  head += '0\r\n'
  for (const [n, v] of r.trailers) head += `${n}: ${v}\r\n`
  return `${head}\r\n`
}

function expectedEvents(r: ResponseModel): Event[] {
  const headers = r.headers.flat()
  if (r.framing === 'length' || r.framing === 'head') headers.push('Content-Length', String(r.framing === 'head' ? 77 : r.body.length))
  if (r.framing === 'chunked') headers.push('Transfer-Encoding', 'chunked')
  const events: Event[] = [{ e: 'head', status: r.status, reason: `Reason ${r.status}`, headers, keepAlive: true }]
  if (r.body.length > 0) events.push({ e: 'body', data: r.body })
  events.push({ e: 'end', trailers: r.trailers.flat() })
  return events
}

describe('any read boundaries and pauses (fast-check)', () => {
  it('a pipeline of responses parses to the same events however its bytes are split and paused', () => {
    fc.assert(
      fc.property(
        fc.array(responseModel, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat({ max: 2000 }), { maxLength: 12 }),
        fc.func(fc.boolean()),
        (responses, cuts, pause) => {
          const bytes = b(responses.map(render).join(''))
          const heads = responses.map((r) => r.framing === 'head')
          const whole = parse(bytes, { heads })
          expect(whole.error).toBeNull()
          expect(whole.events).toEqual(responses.flatMap(expectedEvents))
          const split = parse(bytes, { heads, cuts, pauseWhen: (n) => pause(n) })
          expect(split.error).toBeNull()
          expect(split.events).toEqual(whole.events)
        },
      ),
      { numRuns: 400 },
    )
  })
})
