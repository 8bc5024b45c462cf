// How an upstream failure reaches the client: 504 when the upstream was too slow, 502 for everything else
// (refused, reset, DNS, TLS, a malformed response). The JSON body names what happened in stable terms.

export interface GatewayError {
  status: 502 | 504
  statusLine: string
  error: 'upstream_timeout' | 'upstream_unavailable'
  message: string
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  // the fast client's (errors.ts)
  'MELIPROXY_ERR_UPSTREAM_HEADERS_TIMEOUT',
  'MELIPROXY_ERR_UPSTREAM_CONNECT_TIMEOUT',
  'MELIPROXY_ERR_UPSTREAM_BODY_TIMEOUT',
])
const CONNECT_TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'MELIPROXY_ERR_UPSTREAM_CONNECT_TIMEOUT'])

export function gatewayErrorFor(err: unknown): GatewayError {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : ''
  if (TIMEOUT_CODES.has(code)) {
    return {
      status: 504,
      statusLine: '504 Gateway Timeout',
      error: 'upstream_timeout',
      message: CONNECT_TIMEOUT_CODES.has(code) ? 'the upstream did not accept a connection in time' : 'the upstream did not answer in time',
    }
  }
  const detail = code !== '' ? code : err instanceof Error ? err.name : 'error'
  return { status: 502, statusLine: '502 Bad Gateway', error: 'upstream_unavailable', message: `the upstream could not be reached (${detail})` }
}
