import { describe, expect, it, vi } from 'vitest'
import { AdminClient, MAX_AUTH_ATTEMPTS, type FetchLike } from '../src/lib/api.js'
import { ApiRequestError, BadResponseError, UnauthorizedError, UnreachableError } from '../src/lib/errors.js'
import { createFakeApi } from './fixtures/fake-api.js'

function respond(status: number, body: unknown): FetchLike {
  return async () =>
    new Response(typeof body === 'string' ? body : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    })
}

describe('admin API client', () => {
  it('sends the token as a Bearer header and JSON bodies with their content type', async () => {
    const api = createFakeApi({ token: 'tok-0123456789abcdef' })
    const client = new AdminClient({ fetch: api.fetch, token: () => 'tok-0123456789abcdef' })
    const rule = await client.createRule({ id: 'new', limit: 5, per: 'minute', mode: 'enforce' })
    expect(rule).toMatchObject({ id: 'new', limit: 5, updatedBy: 'n1' })
    expect(api.calls[0]).toMatchObject({ method: 'POST', authorization: 'Bearer tok-0123456789abcdef', body: { id: 'new' } })
  })

  it('escapes rule ids in paths', async () => {
    const api = createFakeApi()
    api.rules.push({ id: 'a b?c', limit: 1, per: 'minute', updatedAt: 1, updatedBy: 'n1' })
    const client = new AdminClient({ fetch: api.fetch, token: () => null })
    await client.deleteRule('a b?c')
    expect(api.calls[0]!.url.pathname).toBe('/api/v1/rules/a%20b%3Fc')
    expect(api.rules.some((r) => r.id === 'a b?c')).toBe(false)
  })

  it('turns an error body into ApiRequestError with the stable code and problem lines', async () => {
    const client = new AdminClient({
      fetch: respond(400, { error: 'invalid_rule', message: 'bad rule', problems: ['body.limit: -5 is not a positive integer', 7] }),
      token: () => null,
    })
    const error = await client.createRule({ id: 'x', limit: 1, per: 'minute' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiRequestError)
    expect(error).toMatchObject({
      code: 'MELIPROXY_ERR_UI_API',
      status: 400,
      apiCode: 'invalid_rule',
      message: 'bad rule',
      problems: ['body.limit: -5 is not a positive integer'],
    })
  })

  it('reports a refused connection, and a gateway error without an API body, as unreachable', async () => {
    const refused = new AdminClient({ fetch: async () => Promise.reject(new TypeError('Failed to fetch')), token: () => null })
    await expect(refused.cluster()).rejects.toMatchObject({ code: 'MELIPROXY_ERR_UI_UNREACHABLE' })
    const gateway = new AdminClient({ fetch: respond(502, 'Bad Gateway'), token: () => null })
    await expect(gateway.cluster()).rejects.toBeInstanceOf(UnreachableError)
    const unavailable = new AdminClient({ fetch: respond(503, { error: 'unavailable', message: 'syncing' }), token: () => null })
    await expect(unavailable.cluster()).rejects.toMatchObject({ apiCode: 'unavailable', status: 503 })
  })

  it('gives up on a node that does not answer within the timeout', async () => {
    const hang: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))))
    const client = new AdminClient({ fetch: hang, token: () => null, timeoutMs: 20 })
    await expect(client.cluster()).rejects.toBeInstanceOf(UnreachableError)
  })

  it("passes a caller's abort through as an abort, not as unreachable", async () => {
    const hang: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))))
    const client = new AdminClient({ fetch: hang, token: () => null })
    const controller = new AbortController()
    const pending = client.cluster(controller.signal)
    controller.abort(new DOMException('replaced', 'AbortError'))
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', message: 'replaced' })
  })

  it('rejects answers that are not the documented JSON', async () => {
    await expect(new AdminClient({ fetch: respond(200, '<html>'), token: () => null }).cluster()).rejects.toBeInstanceOf(
      BadResponseError,
    )
    await expect(new AdminClient({ fetch: respond(200, { nodes: [] }), token: () => null }).cluster()).rejects.toMatchObject({
      code: 'MELIPROXY_ERR_UI_BAD_RESPONSE',
    })
  })

  it('asks for a token on 401 and retries with the new one', async () => {
    const api = createFakeApi({ token: 'good-token-0123456789' })
    let token: string | null = null
    const onUnauthorized = vi.fn(async (rejected: string | null) => {
      expect(rejected).toBeNull()
      token = 'good-token-0123456789'
      return true
    })
    const client = new AdminClient({ fetch: api.fetch, token: () => token, onUnauthorized })
    const cluster = await client.cluster()
    expect(cluster.members).toHaveLength(3)
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
    expect(api.calls.map((c) => c.authorization)).toEqual([null, 'Bearer good-token-0123456789'])
  })

  it('fails with UnauthorizedError when the user declines, and stops retrying after a bound', async () => {
    const api = createFakeApi({ token: 'good-token-0123456789' })
    const declined = new AdminClient({ fetch: api.fetch, token: () => null, onUnauthorized: async () => false })
    await expect(declined.rules()).rejects.toBeInstanceOf(UnauthorizedError)

    const stubborn = vi.fn(async () => true)
    const looping = new AdminClient({ fetch: api.fetch, token: () => 'always-wrong-000000', onUnauthorized: stubborn })
    await expect(looping.rules()).rejects.toMatchObject({ code: 'MELIPROXY_ERR_UI_UNAUTHORIZED' })
    expect(stubborn).toHaveBeenCalledTimes(MAX_AUTH_ATTEMPTS - 1)
  })
})
