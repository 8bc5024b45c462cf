// Every rule's addresses and CIDRs compiled into exact-match tables, one per prefix length in use: a lookup masks
// the client address to each length and probes that table, so the cost grows with the number of distinct prefix
// lengths (a handful), not with the number of addresses listed. IPv4 keys are the masked address as an int32
// (a small integer to V8: no allocation per lookup); IPv6 keys are a hash of the four masked words, confirmed
// by comparing the words.
// Families do not mix: an IPv4 client (also when its socket reports ::ffff:a.b.c.d) is matched by IPv4 ranges only,
// so "::/0" means every IPv6 client, not everyone.
import { IPV4, type IpRange, wordMask } from './ip-address.js'
import { orInto, setBit } from './rule-bitset.js'

class V4Table {
  readonly prefix: number
  readonly mask: number
  readonly byNetwork = new Map<number, Uint32Array>()
  constructor(prefix: number) {
    this.prefix = prefix
    this.mask = wordMask(prefix, 0) | 0
  }
}

class V6Entry {
  readonly w0: number
  readonly w1: number
  readonly w2: number
  readonly w3: number
  readonly bits: Uint32Array
  next: V6Entry | undefined = undefined
  constructor(words: readonly number[], bits: Uint32Array) {
    this.w0 = words[0]! | 0
    this.w1 = words[1]! | 0
    this.w2 = words[2]! | 0
    this.w3 = words[3]! | 0
    this.bits = bits
  }
}

class V6Table {
  readonly prefix: number
  readonly m0: number
  readonly m1: number
  readonly m2: number
  readonly m3: number
  readonly byHash = new Map<number, V6Entry>()
  constructor(prefix: number) {
    this.prefix = prefix
    this.m0 = wordMask(prefix, 0) | 0
    this.m1 = wordMask(prefix, 1) | 0
    this.m2 = wordMask(prefix, 2) | 0
    this.m3 = wordMask(prefix, 3) | 0
  }
}

/** The IPv6 table key: a 32-bit mix of the four (masked) words. Collisions are resolved by comparing words. */
export function hash4(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b)
  h = Math.imul(h ^ b ^ (h >>> 13), 0xc2b2ae35)
  h = Math.imul(h ^ c ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ d ^ (h >>> 13), 0xc2b2ae35)
  return h ^ (h >>> 16)
}

export class IpMatcher {
  private readonly words: number
  private v4: V4Table[] = []
  private v6: V6Table[] = []

  constructor(words: number) {
    this.words = words
  }

  /** Lets rule `rule` match every address in `range`. Call before the first lookup. */
  add(range: IpRange, rule: number): void {
    if (range.family === IPV4) {
      let table = this.v4.find((t) => t.prefix === range.prefix)
      if (table === undefined) {
        table = new V4Table(range.prefix)
        this.v4.push(table)
      }
      const key = range.words[0]! | 0
      let bits = table.byNetwork.get(key)
      if (bits === undefined) {
        bits = new Uint32Array(this.words)
        table.byNetwork.set(key, bits)
      }
      setBit(bits, rule)
      return
    }
    let table = this.v6.find((t) => t.prefix === range.prefix)
    if (table === undefined) {
      table = new V6Table(range.prefix)
      this.v6.push(table)
    }
    const w = range.words
    const h = hash4(w[0]! | 0, w[1]! | 0, w[2]! | 0, w[3]! | 0)
    const head = table.byHash.get(h)
    for (let e = head; e !== undefined; e = e.next) {
      if (e.w0 === (w[0]! | 0) && e.w1 === (w[1]! | 0) && e.w2 === (w[2]! | 0) && e.w3 === (w[3]! | 0)) {
        setBit(e.bits, rule)
        return
      }
    }
    const entry = new V6Entry(w, new Uint32Array(this.words))
    setBit(entry.bits, rule)
    entry.next = head
    table.byHash.set(h, entry)
  }

  /** ORs into `out` the rules whose ranges contain the IPv4 address `address` (uint32). */
  matchV4(address: number, out: Uint32Array): void {
    const tables = this.v4
    for (let i = 0; i < tables.length; i++) {
      const t = tables[i]!
      const bits = t.byNetwork.get(address & t.mask)
      if (bits !== undefined) orInto(out, bits)
    }
  }

  /** ORs into `out` the rules whose ranges contain the IPv6 address in words[0..3]. */
  matchV6(words: Uint32Array, out: Uint32Array): void {
    const tables = this.v6
    for (let i = 0; i < tables.length; i++) {
      const t = tables[i]!
      const a = words[0]! & t.m0
      const b = words[1]! & t.m1
      const c = words[2]! & t.m2
      const d = words[3]! & t.m3
      for (let e = t.byHash.get(hash4(a, b, c, d)); e !== undefined; e = e.next) {
        if (e.w0 === a && e.w1 === b && e.w2 === c && e.w3 === d) {
          orInto(out, e.bits)
          break
        }
      }
    }
  }
}
