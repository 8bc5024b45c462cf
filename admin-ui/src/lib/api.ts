// The typed client of the admin REST API (node/admin/API.md). Every request carries the session's admin token when
// there is one. On a 401 the client asks `onUnauthorized` for a new token (the UI shows its prompt) and retries with
// it, so views never handle authentication themselves; concurrent 401s share whatever the callback does.

import type {
  ApiErrorBody,
  ClusterView,
  EstimateResponse,
  Rule,
  RuleBody,
  RulesResponse,
  RulesUsageResponse,
  StatsResponse,
  TopLimitedResponse,
} from './api-types.js'
import { ApiRequestError, BadResponseError, UnauthorizedError, UnreachableError } from './errors.js'
import { statsSearchParams, type StatsQuery } from './time-range.js'

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

export interface AdminClientOptions {
  fetch: FetchLike
  /** The current admin token, or null when none was given. Read before every request. */
  token: () => string | null
  /**
   * Called when the API answers 401 to a request sent with `rejected` (null: sent without a token). Resolves true
   * once a new token is available (the request is retried with it), false when the user declined (the request then
   * fails with UnauthorizedError). Never called for the same request more than MAX_AUTH_ATTEMPTS times.
   */
  onUnauthorized?: (rejected: string | null) => Promise<boolean>
  /** Prefix of every path, e.g. "http://127.0.0.1:7070"; default "" (same origin as the page). */
  baseUrl?: string
  /** A request with no answer by then fails as unreachable; default 5000 ms. */
  timeoutMs?: number
}

export const MAX_AUTH_ATTEMPTS = 5
export const DEFAULT_TIMEOUT_MS = 5000

export interface TopLimitedQuery {
  from: number
  to: number
  limit?: number
}

export class AdminClient {
  readonly #fetch: FetchLike
  readonly #token: () => string | null
  readonly #onUnauthorized: (rejected: string | null) => Promise<boolean>
  readonly #baseUrl: string
  readonly #timeoutMs: number

  constructor(options: AdminClientOptions) {
    this.#fetch = options.fetch
    this.#token = options.token
    this.#onUnauthorized = options.onUnauthorized ?? (async () => false)
    this.#baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '')
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  }

  cluster(signal?: AbortSignal): Promise<ClusterView> {
    return this.#json('GET', '/api/v1/cluster', undefined, signal, (body) => hasArray(body, 'members'))
  }

  stats(query: StatsQuery, signal?: AbortSignal): Promise<StatsResponse> {
    return this.#json('GET', `/api/v1/stats?${statsSearchParams(query)}`, undefined, signal, (body) =>
      hasArray(body, 'series'),
    )
  }

  topLimited(query: TopLimitedQuery, signal?: AbortSignal): Promise<TopLimitedResponse> {
    const params = new URLSearchParams({ from: String(query.from), to: String(query.to) })
    if (query.limit !== undefined) params.set('limit', String(query.limit))
    return this.#json('GET', `/api/v1/stats/top-limited?${params}`, undefined, signal, (body) => hasArray(body, 'keys'))
  }

  rules(signal?: AbortSignal): Promise<RulesResponse> {
    return this.#json('GET', '/api/v1/rules', undefined, signal, (body) => hasArray(body, 'rules'))
  }

  rulesUsage(signal?: AbortSignal): Promise<RulesUsageResponse> {
    return this.#json('GET', '/api/v1/rules/usage', undefined, signal, (body) => hasArray(body, 'rules'))
  }

  async createRule(rule: RuleBody): Promise<Rule> {
    const body = await this.#json<{ rule: Rule }>('POST', '/api/v1/rules', rule, undefined, (b) => hasObject(b, 'rule'))
    return body.rule
  }

  async updateRule(id: string, rule: RuleBody): Promise<Rule> {
    const path = `/api/v1/rules/${encodeURIComponent(id)}`
    const body = await this.#json<{ rule: Rule }>('PUT', path, rule, undefined, (b) => hasObject(b, 'rule'))
    return body.rule
  }

  async deleteRule(id: string): Promise<void> {
    await this.#send('DELETE', `/api/v1/rules/${encodeURIComponent(id)}`, undefined, undefined)
  }

  estimate(rule: string, key: string, signal?: AbortSignal): Promise<EstimateResponse> {
    const params = new URLSearchParams({ rule, key })
    return this.#json('GET', `/api/v1/estimate?${params}`, undefined, signal, (body) => hasObject(body, null))
  }

  async #json<T>(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    isExpected: (body: unknown) => boolean,
  ): Promise<T> {
    const url = this.#baseUrl + path
    const response = await this.#send(method, path, body, signal)
    let parsed: unknown
    try {
      parsed = await response.json()
    } catch {
      throw new BadResponseError(url, `${response.status} without a JSON body`)
    }
    if (!isExpected(parsed)) throw new BadResponseError(url, 'the JSON does not have the documented shape')
    return parsed as T
  }

  /** Sends with the token, retries after a new token on 401; resolves only with a 2xx response. */
  async #send(method: string, path: string, body: unknown, signal: AbortSignal | undefined): Promise<Response> {
    const url = this.#baseUrl + path
    for (let attempt = 1; ; attempt++) {
      const token = this.#token()
      const response = await this.#fetchOnce(url, method, body, token, signal)
      if (response.ok) return response
      if (response.status === 401) {
        void response.body?.cancel().catch(() => undefined)
        if (attempt < MAX_AUTH_ATTEMPTS && (await this.#onUnauthorized(token))) continue
        throw new UnauthorizedError()
      }
      throw await errorFromResponse(url, response)
    }
  }

  async #fetchOnce(
    url: string,
    method: string,
    body: unknown,
    token: string | null,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (token !== null) headers.authorization = `Bearer ${token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs)
    const forward = (): void => controller.abort()
    signal?.addEventListener('abort', forward, { once: true })
    try {
      return await this.#fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
        cache: 'no-store',
      })
    } catch (cause) {
      // A caller that aborted gets its own AbortError back, not "unreachable".
      if (signal?.aborted === true) throw signal.reason ?? cause
      throw new UnreachableError(absolute(url), { cause })
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', forward)
    }
  }
}

/** The API's error body as an ApiRequestError; a gateway answer without one means the node itself is not there. */
async function errorFromResponse(url: string, response: Response): Promise<Error> {
  let body: unknown
  try {
    body = await response.json()
  } catch {
    body = undefined
  }
  if (isErrorBody(body)) {
    const problems = Array.isArray(body.problems) ? body.problems.filter((p) => typeof p === 'string') : []
    return new ApiRequestError(response.status, body.error, body.message, problems)
  }
  if (response.status === 502 || response.status === 503 || response.status === 504) return new UnreachableError(absolute(url))
  return new ApiRequestError(response.status, `http_${response.status}`, `The admin API answered ${response.status}`)
}

/** The URL as the operator would type it (a same-origin path gets the page's origin). */
function absolute(url: string): string {
  try {
    return new URL(url, globalThis.location?.href).href
  } catch {
    return url
  }
}

function isErrorBody(body: unknown): body is ApiErrorBody {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as ApiErrorBody).error === 'string' &&
    typeof (body as ApiErrorBody).message === 'string'
  )
}

function hasArray(body: unknown, field: string): boolean {
  return typeof body === 'object' && body !== null && Array.isArray((body as Record<string, unknown>)[field])
}

function hasObject(body: unknown, field: string | null): boolean {
  if (typeof body !== 'object' || body === null) return false
  if (field === null) return true
  const value = (body as Record<string, unknown>)[field]
  return typeof value === 'object' && value !== null
}
