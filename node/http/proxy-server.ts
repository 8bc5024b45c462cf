// The node's HTTP front: uWebSockets.js accepts a request, the handler below decides synchronously (everything it
// needs from the request must be read before the handler returns: uWS invalidates `req` afterwards), then either
// answers itself (429, 400, 413, 503) or dispatches to the upstream through a ProxyExchange.
import { randomUUID } from 'node:crypto'
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from '@trufflesuite/uws-js-unofficial'
import type { HostPort } from '../config/schema.js'
import { addressFromBytes, type ClientAddressResolver } from '../proxy/client-address.js'
import { connectionListed, dropFromRequest } from '../proxy/hop-by-hop.js'
import { ExchangeEnd, ProxyExchange, type ExchangeListener } from '../proxy/proxy-exchange.js'
import type { Upstream } from '../proxy/upstream.js'
import { closeApp, listenExclusive } from './listen.js'
import { loadUws } from './uws-native.js'

/** The request facts rules see. One instance is reused for every request: decisions are synchronous. */
export interface RequestFacts {
  ip: string
  /** Normalised path (see rules/normalize-path.ts), used only to decide which rules apply. */
  path: string
  method: string
  header(lowerName: string): string | undefined
}

export interface LimitVerdict {
  allowed: boolean
  /** Response headers (RateLimit-Policy, RateLimit, Retry-After on 429) as flat name/value pairs. */
  headers: readonly string[]
  /** On rejection: the JSON body of the 429. */
  body: string
}

/** The rate limiter as the hot path sees it. Contract: synchronous, never throws for any request facts. */
export interface RequestLimiter {
  decide(facts: RequestFacts, now: number): LimitVerdict
}

/** Statistics as the hot path sees it. Contract: O(1), no I/O, never throws. */
export interface ExchangeRecorder {
  /** status 0 = the upstream could not be reached (502/504 sent by the proxy). */
  exchange(status: number, upstreamError: boolean, limited: boolean, bytesIn: number, bytesOut: number, totalMicros: number, upstreamMicros: number): void
}

/** Returns the normalised path, or null when the raw path is invalid (bad percent-encoding, NUL...). */
export type PathNormalizer = (rawPath: string) => string | null

export interface ProxyServerOptions {
  listen: HostPort
  upstream: Upstream
  clientAddress: ClientAddressResolver
  normalizePath: PathNormalizer
  limiter: () => RequestLimiter | null
  recorder: ExchangeRecorder
  isReady: () => boolean
  maxHeaderBytes: number
  maxBodyBytes: number
  maxInFlight: number
  trustRequestId: boolean
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/
const NO_EXTRA: readonly string[] = []

export class ProxyServer implements ExchangeListener {
  readonly options: ProxyServerOptions
  inFlight = 0
  /** Size of the last request's headers, set by upstreamHeaders (saves returning a tuple per request). */
  private headerBytes = 0
  private app: TemplatedApp | null = null
  private listenSocket: us_listen_socket | null = null
  private readonly facts: FactsFromUws = new FactsFromUws()

  constructor(options: ProxyServerOptions) {
    this.options = options
  }

  /** Rejects with a ListenError when the address is taken or not ours to bind (exclusive: no SO_REUSEPORT). */
  async start(): Promise<void> {
    const uws = loadUws()
    const app = uws.App()
    app.any('/*', (res, req) => this.handle(res, req))
    this.app = app
    this.listenSocket = await listenExclusive(app, 'http', this.options.listen)
  }

  stop(): void {
    if (this.app !== null) closeApp(this.app, this.listenSocket)
    this.app = null
    this.listenSocket = null
  }

  exchangeEnded(ex: ProxyExchange): void {
    this.inFlight--
    const end = ex.end
    const upstreamMicros = ex.upstreamStartedAt > 0 && ex.upstreamEndedAt > 0 ? (ex.upstreamEndedAt - ex.upstreamStartedAt) * 1000 : 0
    const totalMicros = (performance.now() - ex.startedAt) * 1000
    const status = end === ExchangeEnd.ClientAborted ? 499 : ex.status
    this.options.recorder.exchange(status, end === ExchangeEnd.UpstreamFailed, false, ex.bytesIn, ex.bytesOut, totalMicros, upstreamMicros)
  }

  private handle(res: HttpResponse, req: HttpRequest): void {
    const startedAt = performance.now()
    const opts = this.options
    const method = req.getCaseSensitiveMethod()
    const rawPath = req.getUrl()
    // undefined: no '?' at all; '': a bare '?' (kept, so the upstream sees the target the client sent).
    const query = req.getQuery() as string | undefined
    const requestId = this.requestIdFor(req)

    if (!opts.isReady()) {
      this.answer(res, '503 Service Unavailable', 'not_ready', 'this node is still synchronising its counters with its peers', requestId, ['retry-after', '1'], false)
      return
    }
    if (this.inFlight >= opts.maxInFlight) {
      this.answer(res, '503 Service Unavailable', 'overloaded', 'too many requests in flight on this node', requestId, ['retry-after', '1'], false)
      return
    }
    const path = opts.normalizePath(rawPath)
    if (path === null) {
      this.answer(res, '400 Bad Request', 'bad_path', 'the request path has invalid percent-encoding', requestId, NO_EXTRA, true)
      return
    }

    const socketAddress = addressFromBytes(new Uint8Array(res.getRemoteAddress()))
    const forwardedFor = req.getHeader('x-forwarded-for')
    const clientIp = opts.clientAddress.resolve(socketAddress, forwardedFor)
    const trusted = opts.clientAddress.isTrusted(socketAddress)
    const headers = this.upstreamHeaders(req, socketAddress, forwardedFor, trusted, requestId)
    if (this.headerBytes + rawPath.length + (query?.length ?? 0) > opts.maxHeaderBytes) {
      this.answer(res, '431 Request Header Fields Too Large', 'headers_too_large', `the request line and headers are larger than the ${opts.maxHeaderBytes}-byte limit`, requestId, NO_EXTRA, true)
      return
    }

    let extra = NO_EXTRA
    const limiter = opts.limiter()
    if (limiter !== null) {
      const facts = this.facts
      facts.ip = clientIp
      facts.path = path
      facts.method = method.toUpperCase()
      facts.req = req
      const verdict = limiter.decide(facts, Date.now())
      facts.req = null
      if (!verdict.allowed) {
        this.reject(res, verdict, requestId, startedAt)
        return
      }
      extra = verdict.headers
    }

    const contentLengthText = req.getHeader('content-length')
    const chunked = req.getHeader('transfer-encoding') !== ''
    const contentLength = contentLengthText === '' ? 0 : Number(contentLengthText)
    if (!Number.isSafeInteger(contentLength) || contentLength < 0) {
      this.answer(res, '400 Bad Request', 'bad_content_length', 'the Content-Length header is not a number', requestId, NO_EXTRA, true)
      return
    }
    if (contentLength > opts.maxBodyBytes) {
      this.answer(res, '413 Payload Too Large', 'body_too_large', `the request body is larger than the ${opts.maxBodyBytes}-byte limit`, requestId, NO_EXTRA, true)
      return
    }

    const isHead = method === 'HEAD'
    const exchange = new ProxyExchange(res, this, isHead, requestId, extra, startedAt)
    const body = chunked || contentLength > 0 ? exchange.attachBody(opts.maxBodyBytes) : null

    this.inFlight++
    const target = query === undefined ? rawPath : `${rawPath}?${query}`
    const fast = opts.upstream.fast
    // GET/HEAD without a body may take the pipelined client (NOTES-performance.md); everything else goes through undici.
    if (fast !== null && body === null && (method === 'GET' || isHead)) fast.dispatch({ path: target, method, headers }, exchange)
    else opts.upstream.pool.dispatch({ origin: opts.upstream.origin, path: target, method, headers, body }, exchange)
  }

  /** The request headers sent upstream: the client's minus hop-by-hop, with Host and X-Forwarded-* set. */
  private upstreamHeaders(req: HttpRequest, socketAddress: string, forwardedFor: string, trusted: boolean, requestId: string): string[] {
    const listed = connectionListed(req.getHeader('connection').toLowerCase())
    const out: string[] = ['host', this.options.upstream.host]
    let bytes = 0
    req.forEach((name, value) => {
      bytes += name.length + value.length + 4
      if (dropFromRequest(name) || (listed !== null && listed.has(name))) return
      out.push(name, value)
    })
    this.headerBytes = bytes
    // From a trusted proxy the chain is extended; from anyone else it is replaced: a client can't plant addresses.
    out.push('x-forwarded-for', trusted && forwardedFor !== '' ? `${forwardedFor}, ${socketAddress}` : socketAddress)
    const proto = trusted ? req.getHeader('x-forwarded-proto') : ''
    out.push('x-forwarded-proto', proto === 'https' || proto === 'http' ? proto : 'http')
    out.push('x-request-id', requestId)
    return out
  }

  private requestIdFor(req: HttpRequest): string {
    if (this.options.trustRequestId) {
      const given = req.getHeader('x-request-id')
      if (given !== '' && REQUEST_ID.test(given)) return given
    }
    return randomUUID()
  }

  private reject(res: HttpResponse, verdict: LimitVerdict, requestId: string, startedAt: number): void {
    res.cork(() => {
      res.writeStatus('429 Too Many Requests')
      res.writeHeader('content-type', 'application/json')
      res.writeHeader('x-request-id', requestId)
      const h = verdict.headers
      for (let i = 0; i < h.length; i += 2) res.writeHeader(h[i]!, h[i + 1]!)
      res.end(verdict.body)
    })
    this.options.recorder.exchange(429, false, true, 0, verdict.body.length, (performance.now() - startedAt) * 1000, 0)
  }

  private answer(res: HttpResponse, statusLine: string, error: string, message: string, requestId: string, extra: readonly string[], close: boolean): void {
    const body = JSON.stringify({ error, message, requestId })
    res.cork(() => {
      res.writeStatus(statusLine)
      res.writeHeader('content-type', 'application/json')
      res.writeHeader('x-request-id', requestId)
      for (let i = 0; i < extra.length; i += 2) res.writeHeader(extra[i]!, extra[i + 1]!)
      res.end(body, close)
    })
    this.options.recorder.exchange(Number(statusLine.slice(0, 3)), false, false, 0, body.length, 0, 0)
  }
}

class FactsFromUws implements RequestFacts {
  ip = ''
  path = ''
  method = ''
  req: HttpRequest | null = null
  header(lowerName: string): string | undefined {
    const value = this.req?.getHeader(lowerName)
    return value === '' || value === undefined ? undefined : value
  }
}
