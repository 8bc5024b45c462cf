// Who is the client? The socket's peer address, unless that peer is a trusted proxy (trustedProxies CIDRs): then
// the right-most X-Forwarded-For entry that is not itself trusted. Entries left of it were written by the client
// and could be anything, so they are never believed.
import { BlockList, isIP } from 'node:net'

/** X-Forwarded-For longer than this is not parsed (a spoofing or header-bloat attempt); the hop before it is used. */
export const MAX_XFF_ENTRIES = 32

export class ClientAddressResolver {
  readonly #trusted: BlockList | null

  constructor(trustedCidrs: readonly string[]) {
    if (trustedCidrs.length === 0) {
      this.#trusted = null
      return
    }
    const list = new BlockList()
    for (const cidr of trustedCidrs) {
      const [addr, bits] = cidr.split('/') as [string, string | undefined]
      const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4'
      if (bits === undefined) list.addAddress(addr, family)
      else list.addSubnet(addr, Number(bits), family)
    }
    this.#trusted = list
  }

  get hasTrustedProxies(): boolean {
    return this.#trusted !== null
  }

  isTrusted(address: string): boolean {
    if (this.#trusted === null) return false
    const family = isIP(address)
    return family !== 0 && this.#trusted.check(address, family === 6 ? 'ipv6' : 'ipv4')
  }

  /** `forwardedFor` is the raw X-Forwarded-For value ('' when absent). */
  resolve(socketAddress: string, forwardedFor: string): string {
    if (this.#trusted === null || forwardedFor === '' || !this.isTrusted(socketAddress)) return socketAddress
    const entries = forwardedFor.split(',', MAX_XFF_ENTRIES + 1)
    if (entries.length > MAX_XFF_ENTRIES) return socketAddress
    let client = socketAddress
    for (let i = entries.length - 1; i >= 0; i--) {
      const candidate = normalizeAddress(entries[i]!.trim())
      if (isIP(candidate) === 0) return client
      client = candidate
      if (!this.isTrusted(candidate)) return candidate
    }
    return client
  }
}

/** uWS reports IPv4 peers of a dual-stack socket as IPv4-mapped IPv6; limits and logs want the IPv4 form. */
export function normalizeAddress(address: string): string {
  if (address.length > 7 && address.charCodeAt(0) === 58 /* ':' */ && address.startsWith('::ffff:') && address.includes('.')) {
    return address.slice(7)
  }
  if (address.length > 2 && address.charCodeAt(0) === 91 /* '[' */ && address.endsWith(']')) return address.slice(1, -1)
  return address
}

/**
 * The text form of a socket address from uWS's binary getRemoteAddress() (4 or 16 bytes). uWS's own text form
 * is fully expanded IPv6 ("0000:…:ffff:7f00:0001" for 127.0.0.1 on a dual-stack socket), which would make one
 * client look like two to the limiter; this returns dotted IPv4 for IPv4 and IPv4-mapped peers and RFC 5952
 * compressed IPv6 otherwise.
 */
export function addressFromBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`
  if (bytes.length !== 16) return ''
  let mapped = bytes[10] === 0xff && bytes[11] === 0xff
  for (let i = 0; mapped && i < 10; i++) if (bytes[i] !== 0) mapped = false
  if (mapped) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`
  const groups = new Array<number>(8)
  for (let i = 0; i < 8; i++) groups[i] = (bytes[2 * i]! << 8) | bytes[2 * i + 1]!
  // RFC 5952: compress the longest run (length ≥ 2) of zero groups, the first one on a tie.
  let bestStart = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  const hex = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(':')
  if (bestStart < 0) return hex(0, 8)
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`
}
