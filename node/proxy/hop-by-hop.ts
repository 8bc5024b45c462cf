// Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus those a proxy must rewrite.
// Names are compared in lower case; uWS hands request header names lower-cased already, undici hands upstream
// response names as the upstream wrote them.

/** Never forwarded in either direction. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/** Request headers the proxy sets itself (Host to the upstream, the X-Forwarded-* family, the request id). */
const REWRITTEN_REQUEST = new Set(['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-request-id', 'content-length'])

/**
 * Response headers uWS writes itself: it adds Date, and Content-Length or chunked framing from how the body is
 * sent, so the upstream's copies would be duplicates.
 */
const REWRITTEN_RESPONSE = new Set(['date', 'content-length'])

export function isHopByHop(lowerName: string): boolean {
  return HOP_BY_HOP.has(lowerName)
}

export function dropFromRequest(lowerName: string): boolean {
  return HOP_BY_HOP.has(lowerName) || REWRITTEN_REQUEST.has(lowerName)
}

export function dropFromResponse(lowerName: string): boolean {
  return HOP_BY_HOP.has(lowerName) || REWRITTEN_RESPONSE.has(lowerName)
}

/** Lengths of the names dropFromResponse() drops (index = length): a name of any other length is kept as is. */
const DROPPED_RESPONSE_LENGTHS = new Uint8Array(64)
for (const name of [...HOP_BY_HOP, ...REWRITTEN_RESPONSE]) DROPPED_RESPONSE_LENGTHS[name.length] = 1

/**
 * False when no name of this length is ever dropped from a response, so the caller can keep the header without
 * making a lower-case string of its name (most names: ~3× less work per response, see filterResponseHeaders).
 */
export function mayDropFromResponse(nameLength: number): boolean {
  return nameLength < 64 && DROPPED_RESPONSE_LENGTHS[nameLength] === 1
}

/**
 * Extra hop-by-hop names listed in a Connection header ("Connection: close, X-Foo").
 * Returns null in the common case (no names besides close/keep-alive) so callers skip the lookup.
 */
export function connectionListed(connectionValue: string): Set<string> | null {
  if (connectionValue === '' || connectionValue === 'close' || connectionValue === 'keep-alive') return null
  let names: Set<string> | null = null
  for (const part of connectionValue.split(',')) {
    const name = part.trim().toLowerCase()
    if (name === '' || name === 'close' || name === 'keep-alive') continue
    ;(names ??= new Set()).add(name)
  }
  return names
}
