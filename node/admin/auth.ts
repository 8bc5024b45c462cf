// Bearer-token check of the admin API. The comparison runs on SHA-256 digests of both sides, so it takes the same
// time whatever the length or content of the guess (timingSafeEqual needs equal lengths).
import { createHash, timingSafeEqual } from 'node:crypto'
import { AdminUnauthorizedError } from './errors.js'

const BEARER = /^Bearer[ \t]+([^ \t]+)[ \t]*$/i
/** Longer Authorization headers are refused before hashing. */
export const MAX_AUTHORIZATION_CHARS = 4096

export class BearerAuth {
  private readonly digest: Buffer | null

  /** `token` undefined: no token is configured, so every protected request is refused. */
  constructor(token: string | undefined) {
    this.digest = token === undefined || token === '' ? null : sha256(token)
  }

  get configured(): boolean {
    return this.digest !== null
  }

  /** Throws AdminUnauthorizedError unless `authorization` (the header's value, '' when absent) carries the token. */
  check(authorization: string): void {
    if (this.digest === null) {
      throw new AdminUnauthorizedError('no admin token is configured on this node (set admin.token in cluster.yml or MELIPROXY_ADMIN_TOKEN)')
    }
    if (authorization === '') throw new AdminUnauthorizedError('this request needs "Authorization: Bearer <admin token>"')
    const m = authorization.length <= MAX_AUTHORIZATION_CHARS ? BEARER.exec(authorization) : null
    if (m === null) throw new AdminUnauthorizedError('the Authorization header is not "Bearer <admin token>"')
    if (!timingSafeEqual(sha256(m[1]!), this.digest)) throw new AdminUnauthorizedError('the admin token is not valid')
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}
