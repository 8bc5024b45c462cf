// Dispatch of every request on the admin address: CORS preflight, route lookup (`/api/v1/rules/:id` style patterns),
// access control, the request body (64 KiB at most, JSON for POST and PUT), the handler, and one JSON error shape
// for everything that goes wrong. GET paths that are no route fall through to the static UI.
//
// Order matters for what an unauthenticated client can cost: a body is read (at most 64 KiB kept, at most 1 MiB
// drained) but parsed only after the token was checked.
import type { HttpRequest, HttpResponse } from '@trufflesuite/uws-js-unofficial'
import type { Logger } from '../logger.js'
import type { BearerAuth } from './auth.js'
import type { CorsPolicy } from './cors.js'
import {
  AdminApiError,
  AdminBadRequestError,
  AdminBodyTooLargeError,
  AdminInternalError,
  AdminMethodNotAllowedError,
  AdminNotFoundError,
  AdminUnavailableError,
} from './errors.js'
import { emptyReply, errorReply, MAX_BODY_BYTES, MAX_DISCARD_BYTES, parseJsonBody, ResponseGuard, type AdminReply, type AdminRequest } from './http-json.js'
import type { StaticFiles } from './static-files.js'

/** open: anyone (health); read: the token unless admin.openReads; write: always the token. */
export type RouteAccess = 'open' | 'read' | 'write'
export type RouteHandler = (request: AdminRequest) => AdminReply | Promise<AdminReply>

interface Route {
  method: string
  /** Literal segments, or ":name" for a parameter. */
  segments: readonly string[]
  access: RouteAccess
  handler: RouteHandler
}

export interface AdminRouterOptions {
  auth: BearerAuth
  cors: CorsPolicy
  openReads: boolean
  staticFiles: StaticFiles
  logger: Logger
}

/** Errors of other areas that mean "the node is stopping": 503, not 500. */
const STOPPING_CODES = new Set(['MELIPROXY_ERR_STATS_CLOSED', 'MELIPROXY_ERR_GOSSIP_STOPPED', 'MELIPROXY_ERR_GOSSIP_STATE'])
const API_HEADERS: readonly string[] = ['cache-control', 'no-store']
const WWW_AUTHENTICATE: readonly string[] = ['cache-control', 'no-store', 'www-authenticate', 'Bearer realm="meliproxy admin"']
const MAX_PATH_CHARS = 2048

export class AdminRouter {
  private readonly routes: Route[] = []
  private readonly opts: AdminRouterOptions

  constructor(opts: AdminRouterOptions) {
    this.opts = opts
  }

  add(method: 'GET' | 'POST' | 'PUT' | 'DELETE', pattern: string, access: RouteAccess, handler: RouteHandler): void {
    this.routes.push({ method, segments: pattern.split('/').slice(1), access, handler })
  }

  /** The uWS handler: reads the request synchronously, then finishes asynchronously. */
  dispatch(res: HttpResponse, req: HttpRequest): void {
    const method = req.getCaseSensitiveMethod().toUpperCase()
    const path = req.getUrl()
    const query = req.getQuery() ?? ''
    const authorization = req.getHeader('authorization')
    const origin = req.getHeader('origin')
    const contentLength = req.getHeader('content-length')
    const hasBody = req.getHeader('transfer-encoding') !== '' || (contentLength !== '' && contentLength !== '0')
    const guard = new ResponseGuard(res)
    void this.finish(guard, { method, path, query, authorization, origin, contentLength, hasBody }).catch((err: unknown) => {
      this.opts.logger.error({ err, method, path }, 'admin request failed while answering')
    })
  }

  private async finish(guard: ResponseGuard, r: RequestHead): Promise<void> {
    const cors = this.opts.cors
    if (r.method === 'OPTIONS') {
      // A preflight has no body; one that does is not worth reading.
      guard.write(emptyReply('204 No Content'), cors.preflightFor(r.origin), r.hasBody)
      return
    }
    const extra = cors.headersFor(r.origin)
    let complete = !r.hasBody
    try {
      const found = r.path.length <= MAX_PATH_CHARS ? this.match(r.method, r.path) : null
      // The body is read (bounded, and never parsed before the token is checked) before anything is answered, so
      // the client is not cut off while it still writes: an answer given over an unread body must close the
      // connection, which clients report as a failed write rather than as the answer.
      let bytes: Buffer | null = null
      if (r.hasBody) {
        const declared = r.contentLength === '' ? 0 : Number(r.contentLength)
        if (!(declared <= MAX_DISCARD_BYTES)) {
          complete = false
          throw new AdminBodyTooLargeError(MAX_BODY_BYTES)
        }
        const read = await guard.readBody(MAX_BODY_BYTES, MAX_DISCARD_BYTES)
        complete = read.complete
        if (read.body === null) throw new AdminBodyTooLargeError(MAX_BODY_BYTES)
        bytes = read.body
      }
      if (found === null || found === 'static') {
        const file = found === 'static' ? this.opts.staticFiles.lookup(r.path) : null
        if (file !== null) {
          guard.write(file, extra)
          return
        }
        const uiMissing = found === 'static' && !this.opts.staticFiles.available
        throw new AdminNotFoundError(
          uiMissing
            ? `the admin UI is not built (no ${this.opts.staticFiles.directory}/index.html; run npm run build:ui)`
            : `there is no ${r.method} ${r.path.slice(0, 200)} here (the API is under /api/v1, see API.md)`,
        )
      }
      if (found instanceof AdminMethodNotAllowedError) throw found
      const { route, params } = found
      if (route.access === 'write' || (route.access === 'read' && !this.opts.openReads)) this.opts.auth.check(r.authorization)
      let body: unknown
      if (r.method === 'POST' || r.method === 'PUT') body = parseJsonBody(bytes ?? Buffer.alloc(0))
      const reply = await route.handler({ method: r.method, path: r.path, query: new URLSearchParams(r.query), params, body })
      guard.write(reply, extra.length === 0 ? API_HEADERS : [...API_HEADERS, ...extra])
    } catch (err) {
      const apiError = this.toApiError(err, r)
      const headers = apiError.apiCode === 'unauthorized' ? WWW_AUTHENTICATE : apiError instanceof AdminMethodNotAllowedError ? [...API_HEADERS, 'allow', apiError.allow] : API_HEADERS
      guard.write(errorReply(apiError, headers), extra, !complete)
    }
  }

  /** The route for (method, path), 'static' for a GET that is no API path, null, or a 405 when only the method is wrong. */
  private match(method: string, path: string): { route: Route; params: Record<string, string> } | 'static' | AdminMethodNotAllowedError | null {
    const segments = path.split('/').slice(1)
    const allowed: string[] = []
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments)
      if (params === null) continue
      if (route.method === method) return { route, params }
      allowed.push(route.method)
    }
    if (allowed.length > 0) return new AdminMethodNotAllowedError(method, path, [...allowed, 'OPTIONS'].join(', '))
    if (method === 'GET' && !path.startsWith('/api/') && path !== '/api') return 'static'
    return null
  }

  private toApiError(err: unknown, r: RequestHead): AdminApiError {
    if (err instanceof AdminApiError) return err
    const code = (err as { code?: unknown } | null)?.code
    if (typeof code === 'string' && STOPPING_CODES.has(code)) return new AdminUnavailableError('the node is stopping')
    this.opts.logger.error({ err, method: r.method, path: r.path }, 'admin request failed')
    return new AdminInternalError()
  }
}

interface RequestHead {
  method: string
  path: string
  query: string
  authorization: string
  origin: string
  contentLength: string
  hasBody: boolean
}

function matchSegments(pattern: readonly string[], segments: readonly string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null
  let params: Record<string, string> | null = null
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!
    const s = segments[i]!
    if (p.startsWith(':')) {
      if (s === '') return null
      let value: string
      try {
        value = decodeURIComponent(s)
      } catch {
        throw new AdminBadRequestError(`the path segment ${JSON.stringify(s.slice(0, 100))} is not valid percent-encoding`)
      }
      params ??= Object.create(null) as Record<string, string>
      params[p.slice(1)] = value
    } else if (p !== s) return null
  }
  return params ?? {}
}
