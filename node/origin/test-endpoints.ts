// Endpoints under /__origin/ that let proxy tests and benchmarks provoke what a real upstream does
// only sometimes: echo the request as received, long bodies with and without Content-Length, slow and
// stalled responses, any status, awkward headers; and read back what the origin saw (/__origin/events).
// Every parameter has a hard limit (TEST_ENDPOINT_LIMITS); a bad one gets a 400 in Meli's error shape.
import { createHash } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { HttpRequest, HttpResponse, TemplatedApp } from '@trufflesuite/uws-js-unofficial'
import { streamChunked, streamFixedLength } from './body-streamer.js'
import { deterministicBytes, MAX_ZERO_COPY_SLICE } from './deterministic-bytes.js'
import { meliErrorBody } from './meli-headers.js'
import { EVENT_LIMITS, type OriginEventRecorder } from './origin-events.js'
import type { PendingResponses } from './pending-responses.js'
import { PreparedResponse, type HeaderList } from './prepared-response.js'
import { parseIntParam, type IntParam } from './query-params.js'

export const TEST_ENDPOINT_LIMITS = {
  maxDelayMs: 60_000,
  /** /__origin/bytes and /__origin/chunked: 200 MiB. */
  maxBytes: 200 * 1024 * 1024,
  /** /__origin/chunked: largest single write (1 MiB). */
  maxChunkSize: 1024 * 1024,
  /** /__origin/chunked: most writes per response (n / chunk). */
  maxChunks: 1_000_000,
  /** /__origin/echo: a longer request body gets 413 and the connection is closed (256 MiB). */
  maxEchoBodyBytes: 256 * 1024 * 1024,
  /** /__origin/headers: length of the long header value. */
  maxLongHeader: 65_536,
  defaultLongHeader: 8_192,
  /** /__origin/stall: the origin closes a stalled connection after maxMs (default 5 min, at most 10 min). */
  stallDefaultMaxMs: 300_000,
  stallMaxMs: 600_000,
} as const

const NO_BODY_STATUS = new Set([204, 304])

export interface TestEndpointsContext {
  events: OriginEventRecorder
  pending: PendingResponses
}

function statusLine(code: number): string {
  return `${code} ${STATUS_CODES[code] ?? 'Unknown'}`
}

function errorCode(code: number): string {
  return (STATUS_CODES[code] ?? 'unknown').toLowerCase().replace(/[^a-z0-9]+/g, '_')
}

const JSON_HEADERS: HeaderList = [
  ['content-type', 'application/json; charset=utf-8'],
  ['cache-control', 'no-store'],
]
const BYTES_HEADERS: HeaderList = [
  ['content-type', 'application/octet-stream'],
  ['cache-control', 'no-store'],
]

function jsonResponse(code: number, body: unknown): PreparedResponse {
  return new PreparedResponse(statusLine(code), JSON_HEADERS, Buffer.from(JSON.stringify(body)))
}

function badRequest(message: string): PreparedResponse {
  return new PreparedResponse(statusLine(400), JSON_HEADERS, Buffer.from(meliErrorBody(400, 'bad_request', message)))
}

/** Sends `code` with `body`, except that 204/304 and HEAD carry no body. Call corked. */
function sendStatus(res: HttpResponse, head: boolean, code: number, body: Buffer, headers: HeaderList = JSON_HEADERS): void {
  if (NO_BODY_STATUS.has(code)) {
    res.writeStatus(statusLine(code))
    for (const [k, v] of headers) res.writeHeader(k, v)
    res.endWithoutBody()
    return
  }
  new PreparedResponse(statusLine(code), headers, body).send(res, head)
}

/** Reads one integer query parameter; on a bad value answers 400 and returns undefined. */
function intQuery(res: HttpResponse, req: HttpRequest, head: boolean, spec: IntParam): number | undefined {
  const parsed = parseIntParam(req.getQuery(spec.name) ?? '', spec)
  if (parsed.ok) return parsed.value
  badRequest(parsed.message).send(res, head)
  return undefined
}

const REQUIRED = -1

function required(res: HttpResponse, head: boolean, value: number | undefined, name: string): value is number {
  if (value === undefined) return false
  if (value !== REQUIRED) return true
  badRequest(`${name}: required`).send(res, head)
  return false
}

export function registerTestEndpoints(app: TemplatedApp, ctx: TestEndpointsContext): void {
  const { events, pending } = ctx

  const echo = (res: HttpResponse, req: HttpRequest): void => {
    const method = req.getMethod().toUpperCase()
    const head = method === 'HEAD'
    const url = req.getUrl()
    const query = req.getQuery() ?? ''
    events.record(req, method, url)
    const rawHeaders: Array<[string, string]> = []
    req.forEach((name, value) => {
      rawHeaders.push([name, value])
    })
    const status = intQuery(res, req, head, { name: 'status', min: 200, max: 599, fallback: 200 })
    if (status === undefined) return
    const delayMs = intQuery(res, req, head, { name: 'delayMs', min: 0, max: TEST_ENDPOINT_LIMITS.maxDelayMs, fallback: 0 })
    if (delayMs === undefined) return
    const declared = Number(req.getHeader('content-length') || '0')
    if (declared > TEST_ENDPOINT_LIMITS.maxEchoBodyBytes) {
      tooLarge(res)
      return
    }
    const p = pending.begin(res, url)
    const hash = createHash('sha256')
    let bodyLength = 0
    res.onData((chunk, isLast) => {
      if (!p.open) return
      bodyLength += chunk.byteLength
      if (bodyLength > TEST_ENDPOINT_LIMITS.maxEchoBodyBytes) {
        p.finish()
        res.cork(() => tooLarge(res))
        return
      }
      // update() consumes the bytes before returning, so the ArrayBuffer uWS neuters afterwards needs no copy.
      hash.update(new Uint8Array(chunk))
      if (!isLast) return
      // Header names come from the client: a null-prototype object keeps `__proto__` or `constructor` plain keys.
      const headers = Object.create(null) as Record<string, string>
      for (const [name, value] of rawHeaders) headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value
      const body = Buffer.from(JSON.stringify({ method, url, query, headers, rawHeaders, bodyLength, bodySha256: hash.digest('hex') }))
      const send = (): void => {
        sendStatus(res, head, status, body)
        p.finish()
      }
      if (delayMs > 0) p.after(delayMs, send)
      else res.cork(send)
    })
  }
  app.any('/__origin/echo', echo)
  app.any('/__origin/echo/*', echo)

  const bytesRoute = (pattern: string, chunked: boolean): void => {
    app.any(pattern, (res, req) => {
      const method = req.getMethod().toUpperCase()
      const head = method === 'HEAD'
      const path = req.getUrl()
      events.record(req, method, path)
      const n = intQuery(res, req, head, { name: 'n', min: 0, max: TEST_ENDPOINT_LIMITS.maxBytes, fallback: REQUIRED })
      if (!required(res, head, n, 'n')) return
      let chunkSize = 0
      if (chunked) {
        const k = intQuery(res, req, head, { name: 'chunk', min: 1, max: TEST_ENDPOINT_LIMITS.maxChunkSize, fallback: 16 * 1024 })
        if (k === undefined) return
        if (Math.ceil(n / k) > TEST_ENDPOINT_LIMITS.maxChunks) {
          badRequest(`n / chunk: ${Math.ceil(n / k)} writes, more than ${TEST_ENDPOINT_LIMITS.maxChunks}`).send(res, head)
          return
        }
        chunkSize = k
      }
      res.writeStatus('200 OK')
      for (const [k, v] of BYTES_HEADERS) res.writeHeader(k, v)
      if (head) {
        if (!chunked) res.writeHeader('content-length', String(n))
        res.endWithoutBody()
        return
      }
      const p = pending.begin(res, path)
      if (chunked) streamChunked(p, n, chunkSize)
      else streamFixedLength(p, n)
    })
  }
  bytesRoute('/__origin/bytes', false)
  bytesRoute('/__origin/chunked', true)

  app.any('/__origin/slow', (res, req) => {
    const method = req.getMethod().toUpperCase()
    const head = method === 'HEAD'
    const path = req.getUrl()
    events.record(req, method, path)
    const ms = intQuery(res, req, head, { name: 'ms', min: 0, max: TEST_ENDPOINT_LIMITS.maxDelayMs, fallback: REQUIRED })
    if (!required(res, head, ms, 'ms')) return
    const reply = jsonResponse(200, { sleptMs: ms })
    const p = pending.begin(res, path)
    p.after(ms, () => {
      reply.send(res, head)
      p.finish()
    })
  })

  app.any('/__origin/stall', (res, req) => {
    const method = req.getMethod().toUpperCase()
    const head = method === 'HEAD'
    const path = req.getUrl()
    events.record(req, method, path)
    const total = intQuery(res, req, head, { name: 'total', min: 2, max: TEST_ENDPOINT_LIMITS.maxBytes, fallback: 1024 })
    if (total === undefined) return
    const sent = intQuery(res, req, head, { name: 'sent', min: 1, max: Math.min(total - 1, MAX_ZERO_COPY_SLICE), fallback: Math.min(100, total - 1) })
    if (sent === undefined) return
    const maxMs = intQuery(res, req, head, { name: 'maxMs', min: 1, max: TEST_ENDPOINT_LIMITS.stallMaxMs, fallback: TEST_ENDPOINT_LIMITS.stallDefaultMaxMs })
    if (maxMs === undefined) return
    const mode = req.getQuery('mode') ?? 'length'
    if (mode !== 'length' && mode !== 'chunked') {
      badRequest(`mode: ${JSON.stringify(mode.slice(0, 40))} is not one of length, chunked`).send(res, head)
      return
    }
    const p = pending.begin(res, path)
    // Never finished on purpose; the origin drops the connection after maxMs so nothing is held forever.
    p.timer = setTimeout(() => p.closeByOrigin(), maxMs)
    if (head) return // a HEAD response has no body to cut short: it stalls before its headers
    res.writeStatus('200 OK')
    for (const [k, v] of BYTES_HEADERS) res.writeHeader(k, v)
    const part = deterministicBytes(0, sent)
    if (mode === 'chunked') res.write(part)
    else res.tryEnd(part, total)
  })

  const statusReplies = new Map<number, Buffer>()
  app.any('/__origin/status/:code', (res, req) => {
    const method = req.getMethod().toUpperCase()
    const head = method === 'HEAD'
    const path = req.getUrl()
    events.record(req, method, path)
    const parsed = parseIntParam(req.getParameter(0), { name: 'code', min: 200, max: 599, fallback: REQUIRED })
    if (!parsed.ok || parsed.value === REQUIRED) {
      badRequest(parsed.ok ? 'code: required' : parsed.message).send(res, head)
      return
    }
    const code = parsed.value
    let body = statusReplies.get(code)
    if (body === undefined) {
      body = Buffer.from(meliErrorBody(code, errorCode(code), STATUS_CODES[code] ?? 'Unknown'))
      statusReplies.set(code, body)
    }
    sendStatus(res, head, code, body)
  })

  app.any('/__origin/headers', (res, req) => {
    const method = req.getMethod().toUpperCase()
    const head = method === 'HEAD'
    const path = req.getUrl()
    events.record(req, method, path)
    const long = intQuery(res, req, head, { name: 'long', min: 0, max: TEST_ENDPOINT_LIMITS.maxLongHeader, fallback: TEST_ENDPOINT_LIMITS.defaultLongHeader })
    if (long === undefined) return
    const cookies = ['a=1; Path=/', 'b=2; Path=/; HttpOnly', 'c=3; Path=/; Secure; SameSite=Lax']
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]) // "café" in ISO-8859-1: one raw 0xE9 byte, not UTF-8
    const headers: Array<readonly [string, string | Buffer]> = [...JSON_HEADERS]
    for (const c of cookies) headers.push(['set-cookie', c])
    headers.push(['x-latin1', latin1], ['x-utf8', Buffer.from('café', 'utf8')], ['x-empty', ''], ['x-long', longHeaderValue(long)])
    const body = Buffer.from(JSON.stringify({ setCookie: cookies, latin1Hex: latin1.toString('hex'), utf8Hex: Buffer.from('café', 'utf8').toString('hex'), longLength: long }))
    new PreparedResponse('200 OK', headers, body).send(res, head)
  })

  app.any('/__origin/events', (res, req) => {
    const method = req.getMethod()
    if (method === 'delete') {
      events.reset()
      sendStatus(res, false, 204, Buffer.alloc(0))
      return
    }
    const head = method === 'head'
    if (method !== 'get' && !head) {
      sendStatus(res, false, 405, Buffer.from(meliErrorBody(405, 'method_not_allowed', 'GET, HEAD or DELETE')), [...JSON_HEADERS, ['allow', 'GET, HEAD, DELETE']])
      return
    }
    const recent = intQuery(res, req, head, { name: 'recent', min: 0, max: EVENT_LIMITS.ringSize, fallback: EVENT_LIMITS.ringSize })
    if (recent === undefined) return
    jsonResponse(200, events.snapshot(recent)).send(res, head)
  })
}

function tooLarge(res: HttpResponse): void {
  res.writeStatus(statusLine(413))
  for (const [k, v] of JSON_HEADERS) res.writeHeader(k, v)
  // Close: the rest of the body would otherwise have to be read and thrown away.
  res.end(meliErrorBody(413, 'payload_too_large', `request body over ${TEST_ENDPOINT_LIMITS.maxEchoBodyBytes} bytes`), true)
}

const LONG_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

/** `length` printable ASCII characters cycling through a-z0-9, so a truncated value is recognisable. */
function longHeaderValue(length: number): string {
  return LONG_ALPHABET.repeat(Math.ceil(length / LONG_ALPHABET.length)).slice(0, length)
}
