// IP address parsing into numbers, without allocation: IPv4 as one uint32, IPv6 as four uint32 words (most
// significant first). An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack socket reports for an IPv4
// client) is reported as the IPv4 address, so IPv4 rules match it and it counts under the same key.

export const NOT_IP = 0
export const IPV4 = 4
export const IPV6 = 6
export type IpFamily = typeof NOT_IP | typeof IPV4 | typeof IPV6

/** The longest textual IPv6 address (with an embedded IPv4 part) is 45 characters. */
const MAX_IP_TEXT = 45

// Shared scratch for the eight 16-bit groups; parsing is synchronous, so one buffer serves every call.
const groups = new Uint16Array(8)

/** Parses a dotted-quad between `start` and `end`: decimal, no leading zeros, 0–255. Returns the uint32 or -1. */
function parseIpv4(text: string, start: number, end: number): number {
  let value = 0
  let parts = 0
  let i = start
  while (parts < 4) {
    const partStart = i
    let octet = 0
    while (i < end) {
      const c = text.charCodeAt(i)
      if (c < 48 || c > 57) break
      octet = octet * 10 + (c - 48)
      i++
      if (i - partStart > 3) return -1
    }
    const digits = i - partStart
    if (digits === 0 || octet > 255 || (digits > 1 && text.charCodeAt(partStart) === 48)) return -1
    value = value * 256 + octet
    parts++
    if (parts < 4) {
      if (i >= end || text.charCodeAt(i) !== 46) return -1
      i++
    }
  }
  return i === end ? value : -1
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

/** Fills `groups` from an IPv6 text; returns false when it is not one (zone ids are not accepted). */
function parseIpv6Groups(text: string, len: number): boolean {
  let i = 0
  let g = 0
  let compress = -1
  if (len >= 2 && text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return false
    compress = 0
    i = 2
  }
  while (i < len) {
    if (g === 8) return false
    const start = i
    let value = 0
    while (i < len) {
      const h = hexValue(text.charCodeAt(i))
      if (h < 0) break
      value = value * 16 + h
      i++
      if (i - start > 4) return false
    }
    if (i < len && text.charCodeAt(i) === 46) {
      if (g > 6) return false
      const v4 = parseIpv4(text, start, len)
      if (v4 < 0) return false
      groups[g++] = v4 >>> 16
      groups[g++] = v4 & 0xffff
      i = len
      break
    }
    if (i === start) return false
    groups[g++] = value
    if (i === len) break
    if (text.charCodeAt(i) !== 58) return false
    i++
    if (i < len && text.charCodeAt(i) === 58) {
      if (compress >= 0) return false
      compress = g
      i++
    } else if (i === len) {
      return false
    }
  }
  if (compress < 0) return g === 8
  if (g > 7) return false
  // Move the groups written after "::" to the end and zero the gap.
  const tail = g - compress
  for (let k = 0; k < tail; k++) groups[7 - k] = groups[g - 1 - k]!
  for (let k = compress; k < 8 - tail; k++) groups[k] = 0
  return true
}

/**
 * Parses `text` into `out` (length ≥ 4): IPv4 → out[0]; IPv6 → out[0..3]. Returns the family, or NOT_IP.
 * Allocation-free (hot path: the client address of every request).
 */
export function parseIp(text: string, out: Uint32Array): IpFamily {
  const len = text.length
  if (len === 0 || len > MAX_IP_TEXT) return NOT_IP
  // IPv4 in one pass; the first character that is neither a digit nor a dot hands over to the IPv6 parser.
  let value = 0
  let octet = 0
  let digits = 0
  let dots = 0
  let valid = true
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) valid = false // leading zero: "01" is not a decimal octet
      octet = octet * 10 + (c - 48)
      if (++digits > 3) valid = false
    } else if (c === 46) {
      if (digits === 0 || octet > 255) valid = false
      value = value * 256 + octet
      octet = 0
      digits = 0
      dots++
    } else {
      return parseIpv6(text, len, out)
    }
  }
  if (!valid || dots !== 3 || digits === 0 || octet > 255) return NOT_IP
  out[0] = value * 256 + octet
  return IPV4
}

function parseIpv6(text: string, len: number, out: Uint32Array): IpFamily {
  if (!parseIpv6Groups(text, len)) return NOT_IP
  const w0 = ((groups[0]! << 16) | groups[1]!) >>> 0
  const w1 = ((groups[2]! << 16) | groups[3]!) >>> 0
  const w2 = ((groups[4]! << 16) | groups[5]!) >>> 0
  const w3 = ((groups[6]! << 16) | groups[7]!) >>> 0
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) {
    out[0] = w3
    return IPV4
  }
  out[0] = w0
  out[1] = w1
  out[2] = w2
  out[3] = w3
  return IPV6
}

/** An address range from a rule: the network's words (host bits cleared) and the prefix length. */
export interface IpRange {
  readonly family: typeof IPV4 | typeof IPV6
  /** IPv4: one word; IPv6: four words. Host bits are zero. */
  readonly words: readonly number[]
  readonly prefix: number
}

/** The mask of the `k`-th 32-bit word (0-based) for a prefix length, as an unsigned 32-bit number. */
export function wordMask(prefix: number, k: number): number {
  const bits = prefix - 32 * k
  if (bits <= 0) return 0
  if (bits >= 32) return 0xffffffff
  return (0xffffffff << (32 - bits)) >>> 0
}

/**
 * "10.0.0.0/8", "2001:db8::/32", "152.152.152.152" (= /32), "::1" (= /128). Host bits below the prefix are
 * ignored ("10.1.2.3/8" is 10.0.0.0/8). Returns undefined when the text is not an address or CIDR.
 */
export function parseIpRange(text: string): IpRange | undefined {
  const slash = text.indexOf('/')
  const address = slash < 0 ? text : text.slice(0, slash)
  const out = new Uint32Array(4)
  const family = parseIp(address, out)
  if (family === NOT_IP) return undefined
  const max = family === IPV4 ? 32 : 128
  let prefix = max
  if (slash >= 0) {
    const bits = text.slice(slash + 1)
    if (!/^(0|[1-9][0-9]{0,2})$/.test(bits)) return undefined
    prefix = Number(bits)
    const mapped = family === IPV4 && address.indexOf(':') >= 0
    if (mapped) {
      // ::ffff:a.b.c.d/n names IPv4 space only when n covers the ::ffff:0:0/96 prefix.
      if (prefix < 96 || prefix > 128) return undefined
      prefix -= 96
    } else if (prefix > max) {
      return undefined
    }
  }
  const count = family === IPV4 ? 1 : 4
  const words: number[] = []
  for (let k = 0; k < count; k++) words.push((out[k]! & wordMask(prefix, k)) >>> 0)
  return { family, words, prefix }
}

function group(words: ArrayLike<number>, i: number): number {
  const w = words[i >>> 1]!
  return (i & 1) === 0 ? w >>> 16 : w & 0xffff
}

/**
 * RFC 5952 text: IPv4 dotted-quad; IPv6 lower-case, no leading zeros, the longest run (≥ 2) of zero groups as
 * "::" (the first on a tie). Builds only the result string (it runs per request for `by: ip` keys).
 */
export function formatIp(family: typeof IPV4 | typeof IPV6, words: ArrayLike<number>): string {
  if (family === IPV4) {
    const v = words[0]!
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`
  }
  let bestStart = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (group(words, i) !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && group(words, j) === 0) j++
    if (j - i > bestLen) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  let text = ''
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += '::'
      i += bestLen - 1
      continue
    }
    if (text !== '' && !text.endsWith(':')) text += ':'
    text += group(words, i).toString(16)
  }
  return text
}
