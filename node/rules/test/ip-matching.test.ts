import { BlockList } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatIp, IPV4, IPV6, NOT_IP, parseIp, parseIpRange } from '../ip-address.js'
import { hash4, IpMatcher } from '../ip-matcher.js'
import { bitsetWords, hasBit } from '../rule-bitset.js'

/** Which of `ranges` (one rule each) contain `address`. */
function matching(ranges: readonly string[], address: string): string[] {
  const matcher = new IpMatcher(bitsetWords(ranges.length))
  ranges.forEach((r, i) => matcher.add(parseIpRange(r)!, i))
  const words = new Uint32Array(4)
  const out = new Uint32Array(bitsetWords(ranges.length))
  const family = parseIp(address, words)
  if (family === IPV4) matcher.matchV4(words[0]!, out)
  else if (family === IPV6) matcher.matchV6(words, out)
  return ranges.filter((_, i) => hasBit(out, i))
}

describe('parseIp', () => {
  const words = new Uint32Array(4)
  it('parses IPv4 into one word', () => {
    expect(parseIp('152.152.152.152', words)).toBe(IPV4)
    expect(words[0]).toBe(0x98989898)
    expect(parseIp('0.0.0.0', words)).toBe(IPV4)
    expect(words[0]).toBe(0)
    expect(parseIp('255.255.255.255', words)).toBe(IPV4)
    expect(words[0]).toBe(0xffffffff)
  })

  it('parses IPv6 into four words, all spellings', () => {
    expect(parseIp('2001:db8::1', words)).toBe(IPV6)
    expect([...words]).toEqual([0x20010db8, 0, 0, 1])
    expect(parseIp('2001:0DB8:0000:0000:0000:0000:0000:0001', words)).toBe(IPV6)
    expect([...words]).toEqual([0x20010db8, 0, 0, 1])
    expect(parseIp('::', words)).toBe(IPV6)
    expect([...words]).toEqual([0, 0, 0, 0])
    expect(parseIp('::1', words)).toBe(IPV6)
    expect([...words]).toEqual([0, 0, 0, 1])
    expect(parseIp('1::', words)).toBe(IPV6)
    expect([...words]).toEqual([0x00010000, 0, 0, 0])
    expect(parseIp('1:2:3:4:5:6:7:8', words)).toBe(IPV6)
    expect([...words]).toEqual([0x00010002, 0x00030004, 0x00050006, 0x00070008])
    expect(parseIp('64:ff9b::192.0.2.33', words)).toBe(IPV6)
    expect([...words]).toEqual([0x0064ff9b, 0, 0, 0xc0000221])
  })

  it('reports IPv4-mapped IPv6 as the IPv4 address (what dual-stack sockets give)', () => {
    expect(parseIp('::ffff:152.152.152.152', words)).toBe(IPV4)
    expect(words[0]).toBe(0x98989898)
    expect(parseIp('0000:0000:0000:0000:0000:ffff:9898:9898', words)).toBe(IPV4)
    expect(words[0]).toBe(0x98989898)
  })

  it('rejects what is not an address', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', ' 1.2.3.4', 'a.b.c.d', ':', ':::', '1::2::3',
      '1:2:3:4:5:6:7:8:9', '12345::', '1:', ':1', 'fe80::1%eth0', '::1.2.3', '1:2:3:4:5:6:7:1.2.3.4', 'x'.repeat(46), 'localhost']) {
      expect(parseIp(bad, words), JSON.stringify(bad)).toBe(NOT_IP)
    }
  })

  it('parses every address spelling fast-check generates and reads back its own canonical form (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
        const family = parseIp(text, words)
        expect(family).not.toBe(NOT_IP)
        // Both spellings of the same address must parse to the same words.
        const canonical = formatIp(family as 4 | 6, words)
        const again = new Uint32Array(4)
        expect(parseIp(canonical, again)).toBe(family)
        expect([...again.slice(0, family === IPV4 ? 1 : 4)]).toEqual([...words.slice(0, family === IPV4 ? 1 : 4)])
      }),
      { numRuns: 2000 },
    )
  })
})

describe('formatIp', () => {
  it('writes RFC 5952 text', () => {
    const w = new Uint32Array(4)
    const fmt = (text: string) => {
      const family = parseIp(text, w)
      return formatIp(family as 4 | 6, w)
    }
    expect(fmt('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1')
    expect(fmt('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1')
    expect(fmt('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1')
    expect(fmt('::')).toBe('::')
    expect(fmt('::ffff:1.2.3.4')).toBe('1.2.3.4')
    expect(fmt('0:0:0:0:0:0:0:1')).toBe('::1')
    expect(fmt('1:0:0:0:0:0:0:0')).toBe('1::')
  })

  it('agrees with the WHATWG URL serializer on random IPv6 addresses (property)', () => {
    const w = new Uint32Array(4)
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        if (parseIp(text, w) !== IPV6) return // IPv4-mapped: written as IPv4 on purpose
        expect(formatIp(IPV6, w)).toBe(new URL(`http://[${text}]/`).hostname.slice(1, -1))
      }),
      { numRuns: 2000 },
    )
  })
})

describe('address and CIDR matching', () => {
  it('matches exact IPv4 addresses and CIDRs', () => {
    const ranges = ['152.152.152.152', '152.152.152.0/24', '10.0.0.0/8', '0.0.0.0/0', '192.168.1.7/32']
    expect(matching(ranges, '152.152.152.152')).toEqual(['152.152.152.152', '152.152.152.0/24', '0.0.0.0/0'])
    expect(matching(ranges, '152.152.152.153')).toEqual(['152.152.152.0/24', '0.0.0.0/0'])
    expect(matching(ranges, '10.255.1.2')).toEqual(['10.0.0.0/8', '0.0.0.0/0'])
    expect(matching(ranges, '11.0.0.0')).toEqual(['0.0.0.0/0'])
    expect(matching(ranges, '192.168.1.7')).toEqual(['0.0.0.0/0', '192.168.1.7/32'])
    expect(matching(ranges, '::ffff:10.1.1.1')).toEqual(['10.0.0.0/8', '0.0.0.0/0'])
    expect(matching(ranges, '2001:db8::1')).toEqual([])
    expect(matching(ranges, 'not-an-ip')).toEqual([])
  })

  it('matches IPv6 addresses and prefixes', () => {
    const ranges = ['2001:db8::/32', '2001:db8:1::/48', '::1', '::/0', '2001:db8:1:2:3:4:5:6/127']
    expect(matching(ranges, '2001:db8:1:2:3:4:5:7')).toEqual(['2001:db8::/32', '2001:db8:1::/48', '::/0', '2001:db8:1:2:3:4:5:6/127'])
    expect(matching(ranges, '2001:db8:2::1')).toEqual(['2001:db8::/32', '::/0'])
    expect(matching(ranges, '::1')).toEqual(['::1', '::/0'])
    expect(matching(ranges, '2001:db9::')).toEqual(['::/0'])
    expect(matching(ranges, '1.2.3.4')).toEqual([])
  })

  it('ignores host bits below the prefix', () => {
    expect(parseIpRange('10.1.2.3/8')).toEqual({ family: IPV4, words: [0x0a000000], prefix: 8 })
    expect(matching(['152.152.152.152/24'], '152.152.152.1')).toEqual(['152.152.152.152/24'])
    expect(parseIpRange('::ffff:10.0.0.0/104')).toEqual({ family: IPV4, words: [0x0a000000], prefix: 8 })
    expect(parseIpRange('::ffff:10.0.0.0/95')).toBeUndefined()
  })

  it('tells apart IPv6 networks whose table hashes collide', () => {
    // Birthday search over two varying words (one word alone maps to the hash one-to-one).
    const seen = new Map<number, [number, number]>()
    let pair: [[number, number], [number, number]] | undefined
    for (let i = 1; pair === undefined; i++) {
      const words: [number, number] = [i & 0xffff, Math.imul(i, 0x9e3779b1) >>> 16]
      const h = hash4(0x20010db8, 0, words[0], words[1])
      const other = seen.get(h)
      if (other !== undefined) pair = [other, words]
      else seen.set(h, words)
    }
    const [a, b] = pair.map(([c, d]) => `2001:db8::${c.toString(16)}:0:${d.toString(16)}`) as [string, string]
    const wa = new Uint32Array(4)
    const wb = new Uint32Array(4)
    parseIp(a, wa)
    parseIp(b, wb)
    expect(hash4(wa[0]!, wa[1]!, wa[2]!, wa[3]!)).toBe(hash4(wb[0]!, wb[1]!, wb[2]!, wb[3]!))
    expect(matching([a, b], a)).toEqual([a])
    expect(matching([a, b], b)).toEqual([b])
  })

  it('agrees with node:net BlockList on random ranges and addresses (property)', () => {
    const v4Range = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`)
    const v6Range = fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([a, p]) => `${a}/${p}`)
    const range = fc.oneof(v4Range, v6Range, fc.ipV4(), fc.ipV6())
    fc.assert(
      fc.property(fc.array(range, { minLength: 1, maxLength: 12 }), fc.array(fc.oneof(fc.ipV4(), fc.ipV6()), { maxLength: 8 }), (ranges, extra) => {
        // Probe addresses inside the ranges too, not only random ones that rarely hit. Unlike BlockList, an IPv4
        // client is only matched by IPv4 ranges (written as a.b.c.d/n or ::ffff:a.b.c.d/96+n), never by "::/0".
        const probes = [...extra, ...ranges.map((r) => r.split('/')[0]!)]
        for (const address of probes) {
          const expected = ranges.filter((r) => {
            const parsed = parseIpRange(r)!
            const list = new BlockList()
            const [net, bits] = r.split('/')
            const family = net!.includes(':') ? 'ipv6' : 'ipv4'
            if (parsed.family === IPV4 && family === 'ipv6') {
              list.addSubnet(formatIp(IPV4, parsed.words), parsed.prefix, 'ipv4')
            } else {
              list.addSubnet(net!, bits === undefined ? (family === 'ipv4' ? 32 : 128) : Number(bits), family)
            }
            const words = new Uint32Array(4)
            const probeFamily = parseIp(address, words)
            if (probeFamily !== parsed.family) return false
            const probe = probeFamily === IPV4 ? formatIp(IPV4, words) : address
            return list.check(probe, probeFamily === IPV4 ? 'ipv4' : 'ipv6')
          })
          expect(matching(ranges, address), `${address} in ${ranges.join(' ')}`).toEqual(expected)
        }
      }),
      { numRuns: 500 },
    )
  })
})
