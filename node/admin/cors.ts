// CORS for the admin API: only the configured UI origin (admin.uiOrigin) may read answers from a browser page on
// another origin (the dev server of the admin UI, say). The built UI is served from the admin address itself and
// needs none. Every API answer says `Vary: Origin`, so a cache never hands one origin's answer to another.

const ALLOWED_METHODS = 'GET, POST, PUT, DELETE, OPTIONS'
const ALLOWED_HEADERS = 'authorization, content-type'
const PREFLIGHT_MAX_AGE_S = '600'

export class CorsPolicy {
  private readonly uiOrigin: string | undefined
  private readonly allowedHeaders: readonly string[]
  private readonly preflightHeaders: readonly string[]
  private readonly varyOnly: readonly string[] = ['vary', 'origin']

  constructor(uiOrigin: string | undefined) {
    this.uiOrigin = uiOrigin
    this.allowedHeaders =
      uiOrigin === undefined ? [] : ['access-control-allow-origin', uiOrigin, 'vary', 'origin', 'access-control-expose-headers', 'www-authenticate']
    this.preflightHeaders =
      uiOrigin === undefined
        ? []
        : [
            'access-control-allow-origin',
            uiOrigin,
            'vary',
            'origin',
            'access-control-allow-methods',
            ALLOWED_METHODS,
            'access-control-allow-headers',
            ALLOWED_HEADERS,
            'access-control-max-age',
            PREFLIGHT_MAX_AGE_S,
          ]
  }

  allows(origin: string): boolean {
    return this.uiOrigin !== undefined && origin === this.uiOrigin
  }

  /** Headers for an answer to a request from `origin` ('' when the request had no Origin header). */
  headersFor(origin: string): readonly string[] {
    return this.allows(origin) ? this.allowedHeaders : this.varyOnly
  }

  /** Headers for a preflight (OPTIONS) from `origin`: the allowance, or none when the origin is not the UI's. */
  preflightFor(origin: string): readonly string[] {
    return this.allows(origin) ? this.preflightHeaders : this.varyOnly
  }
}
