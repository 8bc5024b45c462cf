// The Meli-like API routes: fixtures first (exact recorded bytes), then generated resources for
// /categories/:id, /items/:id, /sites/:id, /users/:id and /sites/:site/search, and Meli's 404 JSON for
// ids that do not look like Meli ids and for unknown paths. Responses are built once per resource and
// kept in bounded caches, so a load test replays prepared bytes; with `latencyMs` every reply waits that
// long first (an upstream that is not on the same machine).
import type { HttpRequest, HttpResponse, TemplatedApp } from '@trufflesuite/uws-js-unofficial'
import { BoundedCache } from './bounded-cache.js'
import type { Fixture } from './fixture-loader.js'
import { meliErrorBody, meliHeaders, type MeliResourceKind } from './meli-headers.js'
import { categoryJson, isItemOrCategoryId, isUserId, itemJson, searchJson, SEARCH_LIMITS, siteJson, userJson } from './meli-resources.js'
import { meliSite } from './meli-sites.js'
import type { OriginEventRecorder } from './origin-events.js'
import type { PendingResponses } from './pending-responses.js'
import { PreparedResponse } from './prepared-response.js'
import { parseIntParam } from './query-params.js'
import { stableRequestId } from './seeded-random.js'

export interface MeliRoutesContext {
  fixtures: readonly Fixture[]
  latencyMs: number
  events: OriginEventRecorder
  pending: PendingResponses
}

/** Generated responses kept per kind; past this, the oldest are rebuilt on demand. */
export const MELI_CACHE_ENTRIES = 10_000

const JSON_ERROR_STATUS: Record<number, string> = { 400: '400 Bad Request', 404: '404 Not Found', 405: '405 Method Not Allowed' }

export function errorResponse(status: 400 | 404 | 405, error: string, message: string, key: string): PreparedResponse {
  const extra = status === 405 ? ([['allow', 'GET, HEAD']] as const) : []
  return new PreparedResponse(JSON_ERROR_STATUS[status]!, meliHeaders('error', stableRequestId(`${status}:${key}`), extra), Buffer.from(meliErrorBody(status, error, message)))
}

function okResponse(kind: MeliResourceKind, key: string, json: string): PreparedResponse {
  return new PreparedResponse('200 OK', meliHeaders(kind, stableRequestId(key)), Buffer.from(json))
}

export function registerMeliRoutes(app: TemplatedApp, ctx: MeliRoutesContext): void {
  const { events, pending, latencyMs } = ctx

  const reply = (res: HttpResponse, head: boolean, path: string, prepared: PreparedResponse): void => {
    if (latencyMs === 0) {
      prepared.send(res, head)
      return
    }
    const p = pending.begin(res, path)
    p.after(latencyMs, () => {
      prepared.send(res, head)
      p.finish()
    })
  }

  // One GET and one HEAD handler per route: the method is known without asking uWS for it.
  const route = (pattern: string, build: (req: HttpRequest, path: string) => PreparedResponse): void => {
    app.get(pattern, (res, req) => {
      const path = req.getUrl()
      events.record(req, 'GET', path)
      reply(res, false, path, build(req, path))
    })
    app.head(pattern, (res, req) => {
      const path = req.getUrl()
      events.record(req, 'HEAD', path)
      reply(res, true, path, build(req, path))
    })
    app.any(pattern, (res, req) => {
      const path = req.getUrl()
      const method = req.getMethod().toUpperCase()
      events.record(req, method, path)
      reply(res, false, path, errorResponse(405, 'method_not_allowed', `Method ${method} not allowed for ${path}`, path))
    })
  }

  for (const fixture of ctx.fixtures) route(fixture.path, () => fixture.response)

  const categories = new BoundedCache<string, PreparedResponse>(MELI_CACHE_ENTRIES)
  route('/categories/:id', (req, path) => {
    const id = req.getParameter(0)
    let r = categories.get(id)
    if (r === undefined) {
      r = isItemOrCategoryId(id) ? okResponse('category', path, categoryJson(id)) : errorResponse(404, 'not_found', 'Category not found', path)
      categories.set(id, r)
    }
    return r
  })

  const items = new BoundedCache<string, PreparedResponse>(MELI_CACHE_ENTRIES)
  route('/items/:id', (req, path) => {
    const id = req.getParameter(0)
    let r = items.get(id)
    if (r === undefined) {
      r = isItemOrCategoryId(id) ? okResponse('item', path, itemJson(id)) : errorResponse(404, 'not_found', `Item with id ${id} not found`, path)
      items.set(id, r)
    }
    return r
  })

  const sites = new BoundedCache<string, PreparedResponse>(MELI_CACHE_ENTRIES)
  route('/sites/:id', (req, path) => {
    const id = req.getParameter(0)
    let r = sites.get(id)
    if (r === undefined) {
      const site = meliSite(id)
      r = site !== undefined ? okResponse('site', path, siteJson(site)) : errorResponse(404, 'not_found', `Site not found: ${id}`, path)
      sites.set(id, r)
    }
    return r
  })

  const users = new BoundedCache<string, PreparedResponse>(MELI_CACHE_ENTRIES)
  route('/users/:id', (req, path) => {
    const id = req.getParameter(0)
    let r = users.get(id)
    if (r === undefined) {
      r = isUserId(id) ? okResponse('user', path, userJson(id)) : errorResponse(404, 'not_found', `User not found: ${id}`, path)
      users.set(id, r)
    }
    return r
  })

  const searches = new BoundedCache<string, PreparedResponse>(MELI_CACHE_ENTRIES)
  route('/sites/:site/search', (req, path) => {
    const siteId = req.getParameter(0)
    const q = req.getQuery('q') ?? ''
    const rawOffset = req.getQuery('offset') ?? ''
    const rawLimit = req.getQuery('limit') ?? ''
    const key = `${siteId}\n${q}\n${rawOffset}\n${rawLimit}`
    let r = searches.get(key)
    if (r !== undefined) return r
    const site = meliSite(siteId)
    const offset = parseIntParam(rawOffset, { name: 'offset', min: 0, max: SEARCH_LIMITS.maxOffset, fallback: 0 })
    const limit = parseIntParam(rawLimit, { name: 'limit', min: 0, max: SEARCH_LIMITS.maxLimit, fallback: SEARCH_LIMITS.defaultLimit })
    if (site === undefined) r = errorResponse(404, 'not_found', `Site not found: ${siteId}`, path)
    else if (q.length > SEARCH_LIMITS.maxQueryLength) r = errorResponse(400, 'bad_request', `q: longer than ${SEARCH_LIMITS.maxQueryLength} characters`, key)
    else if (!offset.ok) r = errorResponse(400, 'bad_request', offset.message, key)
    else if (!limit.ok) r = errorResponse(400, 'bad_request', limit.message, key)
    else r = okResponse('search', key, searchJson(site, q, offset.value, limit.value))
    searches.set(key, r)
    return r
  })
}

/** Meli's 404 for any path no route matched (registered last, for every method). */
export function registerNotFound(app: TemplatedApp, events: OriginEventRecorder, latencyMs: number, pending: PendingResponses): void {
  const notFound = errorResponse(404, 'not_found', 'resource not found', '*')
  app.any('/*', (res, req) => {
    const path = req.getUrl()
    const method = req.getMethod()
    events.record(req, method.toUpperCase(), path)
    const head = method === 'head'
    if (latencyMs === 0) {
      notFound.send(res, head)
      return
    }
    const p = pending.begin(res, path)
    p.after(latencyMs, () => {
      notFound.send(res, head)
      p.finish()
    })
  })
}
