// RateLimit header fields as in draft-ietf-httpapi-ratelimit-headers (revisions 09–11 share this syntax):
//   RateLimit-Policy: "<id>";q=<limit>;w=<window seconds>     constant per rule, built once at compile time
//   RateLimit: "<id>";r=<remaining>;t=<seconds>               per response
// and what a 429 carries besides: Retry-After (≥ 1 s, and never before the RateLimit `t`, as the draft asks) and a
// JSON body. Rule ids are [A-Za-z0-9._-], so they are valid structured-field strings without escaping.
// Header names are lower-case, as the proxy writes all of its own.

export const RATE_LIMIT_POLICY_HEADER = 'ratelimit-policy'
export const RATE_LIMIT_HEADER = 'ratelimit'
export const RETRY_AFTER_HEADER = 'retry-after'

/** The draft's `w` is whole seconds and non-zero: sub-second windows round up (advertising no more than allowed). */
export function windowSeconds(windowMs: number): number {
  return Math.max(1, Math.ceil(windowMs / 1000))
}

/** `"<id>";q=<limit>;w=<seconds>` */
export function rateLimitPolicyValue(id: string, limit: number, windowMs: number): string {
  return `"${id}";q=${limit};w=${windowSeconds(windowMs)}`
}

/** The constant start of a rule's RateLimit value: `"<id>";r=` */
export function rateLimitPrefix(id: string): string {
  return `"${id}";r=`
}

/** Whole seconds until `resetMs` has passed (rounded up, never negative). */
export function secondsUntil(resetMs: number): number {
  return resetMs > 0 ? Math.ceil(resetMs / 1000) : 0
}

/** `"<id>";r=<remaining>;t=<seconds>`, from the prefix above. Remaining is floored and never negative. */
export function rateLimitValue(prefix: string, remaining: number, resetMs: number): string {
  return `${prefix}${remaining > 0 ? Math.floor(remaining) : 0};t=${secondsUntil(resetMs)}`
}

/** Retry-After for a rejection: at least one second, and not before the quota frees up. */
export function retryAfterSeconds(resetMs: number): number {
  return Math.max(1, secondsUntil(resetMs))
}

/** The constant part of a rule's 429 body, up to the value of retryAfterSeconds. */
export function rejectionBodyPrefix(id: string, limit: number, windowText: string): string {
  const message = `rate limit exceeded: rule ${id} allows ${limit} requests per ${windowText}`
  return `{"error":"rate_limited","message":${JSON.stringify(message)},"rule":${JSON.stringify(id)},"limit":${limit},"window":${JSON.stringify(windowText)},"retryAfterSeconds":`
}

/** `{"error":"rate_limited","message":"...","rule":"<id>","limit":N,"window":"1m","retryAfterSeconds":S}` */
export function rejectionBody(prefix: string, retryAfter: number): string {
  return `${prefix}${retryAfter}}`
}
