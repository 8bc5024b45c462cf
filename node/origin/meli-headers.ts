// The response headers api.mercadolibre.com sends (see fixtures/meli/categories/MLA97994.headers), as
// ready-made lists. x-request-id is per resource (stable, so the same URL gives the same response).
import type { HeaderList } from './prepared-response.js'

const COMMON: HeaderList = [
  ['content-type', 'application/json; charset=utf-8'],
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['x-xss-protection', '1; mode=block'],
  ['access-control-allow-origin', '*'],
  ['access-control-allow-headers', 'Content-Type'],
  ['access-control-allow-methods', 'PUT, GET, POST, DELETE, OPTIONS'],
  ['access-control-max-age', '86400'],
  ['vary', 'Accept-Encoding, User-Agent'],
]

export type MeliResourceKind = 'category' | 'item' | 'site' | 'user' | 'search' | 'error'

const CACHE_CONTROL: Record<MeliResourceKind, string> = {
  category: 'max-age=600,stale-while-revalidate=300, stale-if-error=1200',
  item: 'max-age=60, stale-while-revalidate=30, stale-if-error=300',
  site: 'max-age=3600, stale-while-revalidate=600, stale-if-error=7200',
  user: 'max-age=300, stale-while-revalidate=60, stale-if-error=600',
  search: 'max-age=60, stale-while-revalidate=60',
  error: 'max-age=0',
}

export function meliHeaders(kind: MeliResourceKind, requestId: string, extra: HeaderList = []): HeaderList {
  return [...COMMON, ['cache-control', CACHE_CONTROL[kind]], ['x-request-id', requestId], ...extra]
}

/** Meli's error body: `{"message":...,"error":...,"status":...,"cause":[]}`. */
export function meliErrorBody(status: number, error: string, message: string): string {
  return JSON.stringify({ message, error, status, cause: [] })
}
