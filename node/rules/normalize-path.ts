// Path normalisation for rule matching (RFC 3986 §6.2.2): percent-encoded unreserved characters are decoded
// ("%41" → "A", "%7E" → "~"), other percent-encodings get upper-case hex ("%2f" → "%2F"), characters that may not
// appear raw in a path are percent-encoded as UTF-8, dot segments are resolved ("/a/./b/../c" → "/a/c") and
// duplicate slashes merged. Decoding happens before dot segments are resolved, so "/%2e%2e/" is a "..".
// The proxy forwards the original raw path upstream; this form only decides which rules apply and names `by: path`
// counters, so "/it%65ms/X" and "/categories/../items/X" cannot dodge an "/items/*" rule.
//
// Fast path: a path that is already normal (no "%", no characters to encode, no "//", no dot segment) is
// returned as is, without allocation. Only the rest is rebuilt.
import { PathError } from './errors.js'

/** Raw paths longer than this are refused (400) before any work. */
export const MAX_PATH_LENGTH = 8192

const ENCODE = 0 // not allowed raw in a path: percent-encode it
const UNRESERVED = 1 // ALPHA DIGIT - . _ ~ : kept raw, and decoded when percent-encoded
const KEEP = 2 // sub-delims, ":" and "@": kept raw, but stay encoded when percent-encoded (they may be delimiters)
const SLASH = 3
const PERCENT = 4
const REJECT = 5 // NUL

const CLASS = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c)
  if (c === 0) CLASS[c] = REJECT
  else if (/[A-Za-z0-9\-._~]/.test(ch)) CLASS[c] = UNRESERVED
  else if ("!$&'()*+,;=:@".includes(ch)) CLASS[c] = KEEP
  else if (ch === '/') CLASS[c] = SLASH
  else if (ch === '%') CLASS[c] = PERCENT
  else CLASS[c] = ENCODE
}

const HEX = '0123456789ABCDEF'

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 65 && c <= 70) return c - 55
  if (c >= 97 && c <= 102) return c - 87
  return -1
}

function percentByte(b: number): string {
  return `%${HEX[b >>> 4]}${HEX[b & 15]}`
}

function isDotSegment(path: string, start: number, end: number): boolean {
  const n = end - start
  if (n === 1) return path.charCodeAt(start) === 46
  if (n === 2) return path.charCodeAt(start) === 46 && path.charCodeAt(start + 1) === 46
  return false
}

/**
 * The matching form of a raw request path (without the query). Throws a PathError (MELIPROXY_ERR_BAD_PATH) when
 * the path does not start with "/", is longer than MAX_PATH_LENGTH, has invalid percent-encoding ("%zz", "%4",
 * a truncated "%") or contains a NUL, raw or decoded.
 */
export function normalizePath(raw: string): string {
  const len = raw.length
  if (len === 0 || raw.charCodeAt(0) !== 47) throw new PathError('the path does not start with "/"')
  if (len > MAX_PATH_LENGTH) throw new PathError(`the path is longer than ${MAX_PATH_LENGTH} characters`)
  let segStart = 1
  for (let i = 1; i < len; i++) {
    const c = raw.charCodeAt(i)
    if (c >= 128) return rebuild(raw)
    const cls = CLASS[c]
    if (cls === UNRESERVED || cls === KEEP) continue
    if (cls !== SLASH || i === segStart || isDotSegment(raw, segStart, i)) return rebuild(raw)
    segStart = i + 1
  }
  return isDotSegment(raw, segStart, len) ? rebuild(raw) : raw
}

/** Like normalizePath, but null instead of a PathError (for callers that answer 400 without needing the reason). */
export function normalizePathOrNull(raw: string): string | null {
  try {
    return normalizePath(raw)
  } catch (err) {
    if (err instanceof PathError) return null
    throw err
  }
}

// The slow path: decode, re-encode and resolve dot segments segment by segment.
function rebuild(raw: string): string {
  const len = raw.length
  const stack: string[] = []
  let trailingSlash = false
  let i = 1
  for (;;) {
    let seg = ''
    let j = i
    while (j < len) {
      const c = raw.charCodeAt(j)
      if (c === 47) break
      if (c === 37) {
        const hi = j + 1 < len ? hexDigit(raw.charCodeAt(j + 1)) : -1
        const lo = j + 2 < len ? hexDigit(raw.charCodeAt(j + 2)) : -1
        if (hi < 0 || lo < 0) throw new PathError(`invalid percent-encoding at offset ${j}`)
        const b = hi * 16 + lo
        if (b === 0) throw new PathError('the path contains an encoded NUL (%00)')
        seg += b < 128 && CLASS[b] === UNRESERVED ? String.fromCharCode(b) : percentByte(b)
        j += 3
      } else if (c < 128) {
        const cls = CLASS[c]
        if (cls === REJECT) throw new PathError('the path contains a NUL character')
        seg += cls === ENCODE ? percentByte(c) : raw[j]
        j++
      } else {
        let cp = raw.codePointAt(j)!
        j += cp > 0xffff ? 2 : 1
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd // a lone surrogate has no UTF-8 form
        seg += utf8Percent(cp)
      }
    }
    const last = j >= len
    if (seg === '' || seg === '.') {
      if (last) trailingSlash = true
    } else if (seg === '..') {
      stack.pop()
      if (last) trailingSlash = true
    } else {
      stack.push(seg)
      if (last) trailingSlash = false
    }
    if (last) break
    i = j + 1
  }
  if (stack.length === 0) return '/'
  const joined = `/${stack.join('/')}`
  return trailingSlash ? `${joined}/` : joined
}

function utf8Percent(cp: number): string {
  if (cp < 0x800) return percentByte(0xc0 | (cp >>> 6)) + percentByte(0x80 | (cp & 63))
  if (cp < 0x10000) {
    return percentByte(0xe0 | (cp >>> 12)) + percentByte(0x80 | ((cp >>> 6) & 63)) + percentByte(0x80 | (cp & 63))
  }
  return (
    percentByte(0xf0 | (cp >>> 18)) +
    percentByte(0x80 | ((cp >>> 12) & 63)) +
    percentByte(0x80 | ((cp >>> 6) & 63)) +
    percentByte(0x80 | (cp & 63))
  )
}
