// How one proxied request ended, as the stats count it.

/**
 * upstreamError = the proxy could not get a response (connect refused/reset → 502, timeout → 504);
 * serverError5xx = the upstream itself answered 5xx; limited429 = rejected by our limiter (an upstream 429
 * counts as clientError4xx); notFound404 = the upstream answered 404.
 */
export type Outcome =
  | 'ok2xx'
  | 'redirect3xx'
  | 'limited429'
  | 'notFound404'
  | 'clientError4xx'
  | 'serverError5xx'
  | 'upstreamError'

/** Every outcome, in the order of the counters (stable: the storage format depends on it). */
export const OUTCOMES: readonly Outcome[] = Object.freeze([
  'ok2xx',
  'redirect3xx',
  'limited429',
  'notFound404',
  'clientError4xx',
  'serverError5xx',
  'upstreamError',
])

// A plain object with constant keys: V8 turns the lookup into a fixed-offset load (no Map hashing per request).
export const OUTCOME_INDEX: Readonly<Record<Outcome, number>> = Object.freeze({
  ok2xx: 0,
  redirect3xx: 1,
  limited429: 2,
  notFound404: 3,
  clientError4xx: 4,
  serverError5xx: 5,
  upstreamError: 6,
})

export function emptyOutcomes(): Record<Outcome, number> {
  return { ok2xx: 0, redirect3xx: 0, limited429: 0, notFound404: 0, clientError4xx: 0, serverError5xx: 0, upstreamError: 0 }
}
