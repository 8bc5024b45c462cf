import { describe, expect, it } from 'vitest'
import { WindowCounters as CrdtWindowCounters } from '../../../crdt-counters/index.js'
import { compileRules } from '../compile.js'
import { type Decision, Limiter } from '../limiter.js'
import { rulesSchema } from '../schema.js'
import type { CheckResult, WindowCounters } from '../window-counters.js'
import { facts } from './facts.js'
import { MemoryWindowCounters } from './memory-window-counters.js'

/** A minute boundary, so window arithmetic in the tests is easy to follow. */
const T0 = 1_700_000_040_000
const MINUTE = 60_000

/** Wraps any counters and logs calls in order. */
class Recording implements WindowCounters {
  readonly log: string[] = []
  constructor(private readonly inner: WindowCounters) {}
  check(key: string, limit: number, windowMs: number, now: number, cost?: number): CheckResult {
    this.log.push(`check ${key}`)
    return this.inner.check(key, limit, windowMs, now, cost)
  }
  add(key: string, windowMs: number, now: number, n?: number): void {
    this.log.push(`add ${key}`)
    this.inner.add(key, windowMs, now, n)
  }
}

const implementations: Array<[string, () => WindowCounters]> = [
  ['in-memory double', () => new MemoryWindowCounters()],
  ['crdt-counters WindowCounters', () => new CrdtWindowCounters({ self: 'node-a' })],
]

function limiterFor(rules: unknown[], make: () => WindowCounters): { limiter: Limiter; counters: Recording } {
  const counters = new Recording(make())
  const limiter = new Limiter(counters)
  limiter.setRules(compileRules(rulesSchema.parse(rules)))
  return { limiter, counters }
}

function outcomes(d: Decision): string[] {
  return d.outcomes.slice(0, d.outcomeCount).map((o) => `${o.rule!.id}:${o.status}`)
}

/** Sends `count` requests, 1 ms apart from `start`; returns how many were admitted. */
function burst(limiter: Limiter, count: number, start: number, ip = '1.2.3.4', path = '/items/MLA1'): number {
  let admitted = 0
  for (let i = 0; i < count; i++) if (limiter.decide(facts(ip, path), start + i).allowed) admitted++
  return admitted
}

describe.each(implementations)('Limiter with %s', (_name, make) => {
  it('admits exactly 10 of 15 requests under a 10/minute rule', () => {
    const { limiter } = limiterFor([{ id: 'ten', limit: 10, per: 'minute' }], make)
    expect(burst(limiter, 15, T0 + 1000)).toBe(10)
  })

  it('limits one address without affecting another', () => {
    const { limiter } = limiterFor(
      [
        { id: 'ip-152', match: { ip: '152.152.152.152' }, limit: 3, per: 'minute' },
        { id: 'per-ip', by: ['ip'], limit: 5, per: 'minute' },
      ],
      make,
    )
    expect(burst(limiter, 10, T0, '152.152.152.152')).toBe(3)
    expect(burst(limiter, 10, T0 + 100, '10.0.0.1')).toBe(5)
    expect(burst(limiter, 10, T0 + 200, '10.0.0.2')).toBe(5)
    // The same client through a dual-stack socket is the same client.
    expect(burst(limiter, 10, T0 + 300, '::ffff:10.0.0.2')).toBe(0)
  })

  it('counts every client together under a shared path rule', () => {
    const { limiter } = limiterFor([{ id: 'categories', match: { path: '/categories/*' }, limit: 5, per: 'minute' }], make)
    let admitted = 0
    for (let i = 0; i < 8; i++) if (limiter.decide(facts(`10.0.0.${i}`, `/categories/MLA${i}`), T0 + i).allowed) admitted++
    expect(admitted).toBe(5)
    // A bypass attempt through encoding is the same path.
    expect(limiter.decide(facts('10.9.9.9', '/c%61tegories/MLA1'), T0 + 50).allowed).toBe(false)
    expect(limiter.decide(facts('10.9.9.9', '/items/MLA1'), T0 + 50).allowed).toBe(true)
  })

  it('never rejects for a shadow rule, but reports that it would have', () => {
    const { limiter, counters } = limiterFor([{ id: 'watch', limit: 2, per: 'minute', mode: 'shadow' }], make)
    const seen: string[] = []
    for (let i = 0; i < 5; i++) {
      const d = limiter.decide(facts('1.1.1.1', '/'), T0 + i)
      expect(d.allowed).toBe(true)
      expect(d.headers).toEqual([])
      seen.push(`${outcomes(d).join(',')} ${d.shadowLimited}`)
    }
    expect(seen).toEqual([
      'watch:admitted false',
      'watch:admitted false',
      'watch:shadow-limited true',
      'watch:shadow-limited true',
      'watch:shadow-limited true',
    ])
    // Counted like the others: all five requests were admitted, so all five were added.
    expect(counters.log.filter((l) => l.startsWith('add'))).toHaveLength(5)
  })

  it('counts only admitted requests: a request rejected by one rule does not use up another', () => {
    const { limiter, counters } = limiterFor(
      [
        { id: 'ip-items', match: { ip: '152.152.152.152', path: '/items/*' }, limit: 2, per: 'minute' },
        { id: 'per-ip', by: ['ip'], limit: 4, per: 'minute' },
      ],
      make,
    )
    expect(burst(limiter, 2, T0, '152.152.152.152', '/items/A')).toBe(2)
    const rejected = limiter.decide(facts('152.152.152.152', '/items/B'), T0 + 10)
    expect(rejected.allowed).toBe(false)
    expect(rejected.rejectedBy?.id).toBe('ip-items')
    expect(rejected.rejectedKey).toBe('ip-items')
    expect(outcomes(rejected)).toEqual(['ip-items:limited', 'per-ip:not-counted'])
    expect(burst(limiter, 5, T0 + 20, '152.152.152.152', '/items/C')).toBe(0)
    // per-ip has seen 2, not 8: two more fit, on another path.
    expect(burst(limiter, 5, T0 + 30, '152.152.152.152', '/sites/MLA')).toBe(2)
    // Every key was checked before any was added, for every request.
    const log = counters.log
    expect(log.slice(0, 4)).toEqual(['check ip-items', 'check per-ip|152.152.152.152', 'add ip-items', 'add per-ip|152.152.152.152'])
    expect(log.filter((l) => l === 'add ip-items')).toHaveLength(2)
    expect(log.filter((l) => l === 'add per-ip|152.152.152.152')).toHaveLength(4)
  })

  it('follows the sliding estimate across windows', () => {
    const { limiter } = limiterFor([{ id: 'ten', limit: 10, per: 'minute' }], make)
    expect(burst(limiter, 15, T0)).toBe(10)
    // Half-way through the next window the previous 10 weigh 5: five more fit.
    expect(burst(limiter, 10, T0 + MINUTE + 30_000)).toBe(5)
    // Three quarters into the window after: the 5 of the previous window weigh 1.25, so 8 fit (1.25 + 8 ≤ 10).
    expect(burst(limiter, 12, T0 + 2 * MINUTE + 45_000)).toBe(8)
    // Two full windows later nothing is left.
    expect(burst(limiter, 12, T0 + 5 * MINUTE)).toBe(10)
  })

  it('sends RateLimit headers of the tightest enforcing rule when admitting', () => {
    const { limiter } = limiterFor(
      [
        { id: 'per-ip', by: ['ip'], limit: 100, per: 'minute' },
        { id: 'items', match: { path: '/items/*' }, limit: 10, per: 'minute' },
        { id: 'watch', limit: 1, per: 'second', mode: 'shadow' },
      ],
      make,
    )
    const d = limiter.decide(facts('1.2.3.4', '/items/X'), T0 + 15_000)
    expect(d.allowed).toBe(true)
    expect(d.body).toBe('')
    expect(d.headers).toEqual(['ratelimit-policy', '"items";q=10;w=60', 'ratelimit', '"items";r=9;t=45'])
    const other = limiter.decide(facts('1.2.3.4', '/sites/X'), T0 + 15_500)
    expect(other.headers).toEqual(['ratelimit-policy', '"per-ip";q=100;w=60', 'ratelimit', '"per-ip";r=98;t=45'])
    // A request no rule matches gets none.
    const none = limiterFor([{ id: 'items', match: { path: '/items/*' }, limit: 10, per: 'minute' }], make).limiter
    expect(none.decide(facts('1.2.3.4', '/sites/X'), T0).headers).toEqual([])
  })

  it('answers a rejection with Retry-After, both RateLimit headers and a JSON body', () => {
    const { limiter } = limiterFor([{ id: 'ip-152-items', match: { path: '/items/*' }, limit: 10, per: 'minute' }], make)
    expect(burst(limiter, 10, T0 + 15_000)).toBe(10)
    const d = limiter.decide(facts('1.2.3.4', '/items/X'), T0 + 15_010)
    expect(d.allowed).toBe(false)
    // 10 in this window: the estimate drops to 9 at 6 s into the next one, 50.99 s from now.
    expect(d.retryAfterSeconds).toBe(51)
    expect(d.headers).toEqual([
      'ratelimit-policy',
      '"ip-152-items";q=10;w=60',
      'ratelimit',
      '"ip-152-items";r=0;t=51',
      'retry-after',
      '51',
    ])
    expect(JSON.parse(d.body)).toEqual({
      error: 'rate_limited',
      message: 'rate limit exceeded: rule ip-152-items allows 10 requests per 1m',
      rule: 'ip-152-items',
      limit: 10,
      window: '1m',
      retryAfterSeconds: 51,
    })
  })

  it('names the rule with the longest wait when several reject', () => {
    const { limiter } = limiterFor(
      [
        { id: 'per-second', limit: 2, per: 'second' },
        { id: 'per-hour', limit: 3, per: 'hour' },
      ],
      make,
    )
    expect(burst(limiter, 5, T0)).toBe(2)
    expect(burst(limiter, 1, T0 + 1500)).toBe(1)
    // per-second: 2 × 0.4 of the last second + 1 in this one = 1.8; per-hour: 3. Both are full.
    const both = limiter.decide(facts('1.2.3.4', '/'), T0 + 1600)
    expect(outcomes(both)).toEqual(['per-second:limited', 'per-hour:limited'])
    expect(both.rejectedBy?.id).toBe('per-hour')
    expect(both.retryAfterSeconds).toBeGreaterThan(3000)
    // Seconds later only the hour rule rejects.
    const later = limiter.decide(facts('1.2.3.4', '/'), T0 + 5000)
    expect(outcomes(later)).toEqual(['per-second:not-counted', 'per-hour:limited'])
  })

  it('keeps returned headers intact across later decisions', () => {
    const { limiter } = limiterFor([{ id: 'ten', limit: 10, per: 'minute' }], make)
    const first = limiter.decide(facts('1.2.3.4', '/'), T0).headers
    const copy = [...first]
    for (let i = 1; i < 12; i++) limiter.decide(facts('1.2.3.4', '/'), T0 + i)
    expect(first).toEqual(copy)
  })

  it('applies a new rule set from the next decision, keeping counts of unchanged rules', () => {
    const { limiter } = limiterFor([{ id: 'ten', limit: 10, per: 'minute' }], make)
    expect(burst(limiter, 4, T0)).toBe(4)
    limiter.setRules(
      compileRules(
        rulesSchema.parse([
          { id: 'new', match: { path: '/items/*' }, limit: 1, per: 'minute' },
          { id: 'ten', limit: 10, per: 'minute' },
        ]),
      ),
    )
    expect(burst(limiter, 10, T0 + 100)).toBe(1)
    expect(burst(limiter, 10, T0 + 200, '1.2.3.4', '/sites')).toBe(5)
  })
})

describe('counter keys', () => {
  function keysFor(rules: unknown[], ...requests: ReturnType<typeof facts>[]): string[] {
    const counters = new MemoryWindowCounters()
    const limiter = new Limiter(counters)
    limiter.setRules(compileRules(rulesSchema.parse(rules)))
    const keys: string[] = []
    for (const f of requests) {
      const d = limiter.decide(f, T0)
      for (let i = 0; i < d.outcomeCount; i++) keys.push(d.outcomes[i]!.key)
    }
    return keys
  }

  it('are the rule id, then one value per `by` dimension', () => {
    expect(
      keysFor(
        [
          { id: 'shared', limit: 9, per: 'minute' },
          { id: 'combo', by: ['ip', 'path', 'method', 'header:X-Api-Key'], limit: 9, per: 'minute' },
        ],
        facts('1.2.3.4', '/items/MLA1/', 'get', { 'x-api-key': 'k1' }),
        facts('1.2.3.4', '/items/MLA1', 'POST'),
      ),
    ).toEqual(['shared', 'combo|1.2.3.4|/items/MLA1|GET|k1', 'shared', 'combo|1.2.3.4|/items/MLA1|POST|'])
  })

  it('spell each address one way', () => {
    const rules = [{ id: 'per-ip', by: ['ip'], limit: 9, per: 'minute' }]
    expect(
      keysFor(rules, facts('::ffff:1.2.3.4', '/'), facts('2001:0DB8:0000:0000:0000:0000:0000:0001', '/'), facts('2001:db8::1', '/'), facts('junk', '/')),
    ).toEqual(['per-ip|1.2.3.4', 'per-ip|2001:db8::1', 'per-ip|2001:db8::1', 'per-ip|junk'])
  })

  it('hash values longer than 256 bytes, or that contain the separator, or start with the hash mark', () => {
    const rules = [{ id: 'per-key', by: ['header:x-key'], limit: 9, per: 'minute' }]
    const at256 = 'k'.repeat(256)
    const long = 'k'.repeat(257)
    const wide = 'é'.repeat(129) // 258 UTF-8 bytes in 129 characters
    const keys = keysFor(
      rules,
      ...[at256, long, `${long}x`, wide, 'a|b', '#abc', 'é'.repeat(128)].map((v) => facts('1.1.1.1', '/', 'GET', { 'x-key': v })),
    )
    expect(keys[0]).toBe(`per-key|${at256}`)
    for (const k of [keys[1], keys[2], keys[3], keys[4], keys[5]]) expect(k).toMatch(/^per-key\|#[A-Za-z0-9_-]{22}$/)
    expect(new Set(keys.slice(1, 6)).size).toBe(5)
    expect(keys[6]).toBe(`per-key|${'é'.repeat(128)}`)
    // A long path is bounded the same way.
    const path = `/${'p'.repeat(300)}`
    expect(keysFor([{ id: 'per-path', by: ['path'], limit: 9, per: 'minute' }], facts('1.1.1.1', path))[0]).toMatch(/^per-path\|#[A-Za-z0-9_-]{22}$/)
  })
})
