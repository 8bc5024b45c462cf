import { describe, expect, it } from 'vitest'
import { compileRules, type CompiledRules, type RequestFacts } from '../compile.js'
import { rulesSchema } from '../schema.js'
import { facts } from './facts.js'

function compile(rules: unknown[]): CompiledRules {
  return compileRules(rulesSchema.parse(rules))
}

function matchedIds(compiled: CompiledRules, f: RequestFacts): string[] {
  const n = compiled.match(f)
  return Array.from(compiled.matched.subarray(0, n), (i) => compiled.rules[i]!.id)
}

const DEFAULT_RULES = [
  { id: 'ip-152', match: { ip: '152.152.152.152' }, limit: 1000, per: 'minute' },
  { id: 'categories', match: { path: '/categories/*' }, limit: 10000, per: 'minute' },
  { id: 'ip-152-items', match: { ip: '152.152.152.152', path: '/items/*' }, limit: 10, per: 'minute' },
  { id: 'per-ip', by: ['ip'], limit: 6000, per: 'minute' },
]

describe('compiled matching', () => {
  const rules = compile(DEFAULT_RULES)

  it('applies the default rules as the challenge describes', () => {
    expect(matchedIds(rules, facts('152.152.152.152', '/items/MLA1'))).toEqual(['ip-152', 'ip-152-items', 'per-ip'])
    expect(matchedIds(rules, facts('152.152.152.152', '/categories/MLA97994'))).toEqual(['ip-152', 'categories', 'per-ip'])
    expect(matchedIds(rules, facts('1.2.3.4', '/categories/MLA97994'))).toEqual(['categories', 'per-ip'])
    expect(matchedIds(rules, facts('1.2.3.4', '/items/MLA1'))).toEqual(['per-ip'])
    expect(matchedIds(rules, facts('::ffff:152.152.152.152', '/items/MLA1'))).toEqual(['ip-152', 'ip-152-items', 'per-ip'])
  })

  it('cannot be dodged by encoding or dot segments in the path', () => {
    for (const raw of ['/it%65ms/MLA1', '/categories/../items/MLA1', '/categories/%2E%2E/items/MLA1', '//items//MLA1/', '/items/./MLA1']) {
      expect(matchedIds(rules, facts('152.152.152.152', raw)), raw).toEqual(['ip-152', 'ip-152-items', 'per-ip'])
    }
  })

  it('matches methods case-insensitively, one or a list', () => {
    const c = compile([
      { id: 'writes', match: { method: ['post', 'PUT', 'Delete'] }, limit: 1, per: 'minute' },
      { id: 'gets', match: { method: 'get' }, limit: 1, per: 'minute' },
      { id: 'all', limit: 1, per: 'minute' },
    ])
    expect(matchedIds(c, facts('1.1.1.1', '/', 'DELETE'))).toEqual(['writes', 'all'])
    expect(matchedIds(c, facts('1.1.1.1', '/', 'get'))).toEqual(['gets', 'all'])
    expect(matchedIds(c, facts('1.1.1.1', '/', 'PATCH'))).toEqual(['all'])
  })

  it('matches header conditions: exact, glob, absent; names case-insensitive', () => {
    const c = compile([
      { id: 'exact', match: { header: { 'X-Api-Key': 'abc' } }, limit: 1, per: 'minute' },
      { id: 'glob', match: { header: { 'user-agent': 'curl/*' } }, limit: 1, per: 'minute' },
      { id: 'present', match: { header: { 'x-api-key': '*' } }, limit: 1, per: 'minute' },
      { id: 'middle', match: { header: { 'user-agent': '*bot*v*' } }, limit: 1, per: 'minute' },
      { id: 'both', match: { header: { 'x-api-key': 'abc', 'user-agent': 'curl/*' } }, limit: 1, per: 'minute' },
    ])
    expect(matchedIds(c, facts('1.1.1.1', '/', 'GET', { 'x-api-key': 'abc', 'user-agent': 'curl/8.0' }))).toEqual(['exact', 'glob', 'present', 'both'])
    expect(matchedIds(c, facts('1.1.1.1', '/', 'GET', { 'x-api-key': 'ABC' }))).toEqual(['present'])
    expect(matchedIds(c, facts('1.1.1.1', '/', 'GET', { 'x-api-key': '' }))).toEqual(['present'])
    expect(matchedIds(c, facts('1.1.1.1', '/', 'GET', {}))).toEqual([])
    expect(matchedIds(c, facts('1.1.1.1', '/', 'GET', { 'user-agent': 'curl' }))).toEqual([])
    expect(matchedIds(c, facts('1.1.1.1', '/', 'GET', { 'user-agent': 'googlebot/v2' }))).toEqual(['middle'])
    expect(matchedIds(c, facts('1.1.1.1', '/', 'GET', { 'user-agent': 'botv' }))).toEqual(['middle'])
    expect(matchedIds(c, facts('1.1.1.1', '/', 'GET', { 'user-agent': 'vbot' }))).toEqual([])
  })

  it('reads each header at most once per request', () => {
    const c = compile([
      { id: 'a', match: { header: { 'x-api-key': 'k*' } }, limit: 1, per: 'minute' },
      { id: 'b', match: { header: { 'X-API-KEY': '*' } }, by: ['header:x-api-key'], limit: 1, per: 'minute' },
    ])
    const f = facts('1.1.1.1', '/', 'GET', { 'x-api-key': 'k1' })
    const n = c.match(f)
    expect(n).toBe(2)
    for (let i = 0; i < n; i++) c.counterKey(c.rules[c.matched[i]!]!, f)
    expect(f.reads).toEqual(['x-api-key'])
  })

  it('requires every condition of a rule to hold', () => {
    const c = compile([
      {
        id: 'all-four',
        match: { ip: ['10.0.0.0/8', '2001:db8::/32'], path: ['/items/*', '/users/**'], method: ['GET', 'HEAD'], header: { 'x-client': 'app-*' } },
        limit: 1,
        per: 'minute',
      },
    ])
    const good = (ip: string, path: string, method: string, client?: string) =>
      matchedIds(c, facts(ip, path, method, client === undefined ? {} : { 'x-client': client })).length === 1
    expect(good('10.1.1.1', '/items/X', 'GET', 'app-ios')).toBe(true)
    expect(good('2001:db8::5', '/users', 'HEAD', 'app-')).toBe(true)
    expect(good('11.1.1.1', '/items/X', 'GET', 'app-ios')).toBe(false)
    expect(good('10.1.1.1', '/sites/X', 'GET', 'app-ios')).toBe(false)
    expect(good('10.1.1.1', '/items/X', 'POST', 'app-ios')).toBe(false)
    expect(good('10.1.1.1', '/items/X', 'GET', 'web')).toBe(false)
    expect(good('10.1.1.1', '/items/X', 'GET')).toBe(false)
  })

  it('matches everything with no conditions, nothing with no rules', () => {
    const everything = compile([{ id: 'global', limit: 1, per: 'second' }, { id: 'empty-match', match: {}, limit: 1, per: 'second' }])
    expect(matchedIds(everything, facts('garbage', '/a/b/c', 'OPTIONS'))).toEqual(['global', 'empty-match'])
    expect(matchedIds(compileRules([]), facts('1.1.1.1', '/'))).toEqual([])
  })

  it('keeps rule order and handles more rules than one bitset word', () => {
    const many = Array.from({ length: 100 }, (_, i) => ({ id: `r${i}`, match: { path: i % 2 === 0 ? '/even/**' : '/odd/*' }, limit: 1, per: 'minute' }))
    const c = compile(many)
    expect(matchedIds(c, facts('1.1.1.1', '/even/x'))).toEqual(many.filter((_, i) => i % 2 === 0).map((r) => r.id))
    expect(matchedIds(c, facts('1.1.1.1', '/odd/x'))).toEqual(many.filter((_, i) => i % 2 === 1).map((r) => r.id))
  })

  it('precomputes per-rule constants', () => {
    const r = rules.rules[2]!
    expect(r.id).toBe('ip-152-items')
    expect(r.windowMs).toBe(60_000)
    expect(r.windowText).toBe('1m')
    expect(r.policyHeader).toBe('"ip-152-items";q=10;w=60')
    expect(r.shadow).toBe(false)
  })

  it('refuses rule sets that did not pass validation, with MELIPROXY_ERR_RULE_INVALID', () => {
    const base = { id: 'a', limit: 1, per: 'minute', mode: 'enforce' as const }
    const bad: unknown[][] = [
      [base, base],
      [{ ...base, id: 'a|b' }],
      [{ ...base, limit: 0 }],
      [{ ...base, per: 'fortnight' }],
      [{ ...base, match: { ip: '10.0.0.0/33' } }],
      [{ ...base, match: { path: '/a/**b' } }],
      [{ ...base, by: ['cookie'] }],
      [{ ...base, match: { method: [] } }],
    ]
    for (const rulesSet of bad) {
      let code: string | undefined
      try {
        compileRules(rulesSet as never)
      } catch (err) {
        code = (err as { code?: string }).code
      }
      expect(code, JSON.stringify(rulesSet)).toBe('MELIPROXY_ERR_RULE_INVALID')
    }
  })
})
