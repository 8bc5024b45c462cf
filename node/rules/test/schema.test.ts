import { describe, expect, it } from 'vitest'
import { formatIssues } from '../../config/validation-error.js'
import { RULE_LIMITS, ruleSchema, rulesSchema } from '../schema.js'

/** The lines cluster.yml validation prints for `rules:`. */
function problems(input: unknown): string[] {
  const result = rulesSchema.safeParse(input)
  if (result.success) return []
  return formatIssues(result.error.issues, input, 'rules')
}

const ok = (extra: Record<string, unknown> = {}) => ({ id: 'r', limit: 10, per: 'minute', ...extra })

describe('rulesSchema', () => {
  it('accepts the default rules of the challenge', () => {
    const rules = [
      { id: 'ip-152', match: { ip: '152.152.152.152' }, limit: 1000, per: 'minute' },
      { id: 'categories', match: { path: '/categories/*' }, limit: 10000, per: 'minute' },
      { id: 'ip-152-items', match: { ip: '152.152.152.152', path: '/items/*' }, limit: 10, per: 'minute' },
      { id: 'per-ip', by: ['ip'], limit: 6000, per: 'minute' },
    ]
    expect(problems(rules)).toEqual([])
    const parsed = rulesSchema.parse(rules)
    expect(parsed.map((r) => r.mode)).toEqual(['enforce', 'enforce', 'enforce', 'enforce'])
    expect(parsed[2]!.match).toEqual({ ip: '152.152.152.152', path: '/items/*' })
  })

  it('prints the documented lines for the documented mistakes', () => {
    expect(problems([{ id: 'a', limt: 5, limit: 1, per: 'minute' }])).toEqual([
      'rules[0]: unknown field "limt" (allowed: id, description, match, by, limit, per, mode)',
    ])
    expect(problems([ok({ id: 'a' }), ok({ id: 'b', match: { ip: '10.0.0.0/33' } })])).toEqual([
      'rules[1].match.ip: "10.0.0.0/33" is not an IP address or CIDR',
    ])
    expect(problems([ok({ id: 'a' }), ok({ id: 'b' }), ok({ id: 'c', limit: -5 })])).toEqual([
      'rules[2].limit: -5 is not a positive integer',
    ])
    expect(problems([ok({ id: 'a' }), ok({ id: 'b' }), ok({ id: 'c' }), ok({ id: 'd', match: { path: '/a/**b' } })])).toEqual([
      'rules[3].match.path: "/a/**b" is not a valid path glob (* and ** must be a whole segment)',
    ])
    expect(problems(['a', 'b', 'c', 'per-ip', 'per-ip'].map((id) => ok({ id })))).toEqual([
      'rules[4].id: "per-ip" is a duplicate id',
    ])
  })

  it('names the bad entry of a list and says what is allowed', () => {
    expect(
      problems([
        ok({
          match: { ip: ['1.2.3.4', 'x'], path: ['/a', '//b', '/./c'], method: ['get', 7] },
          by: ['ip', 'cookie'],
        }),
      ]),
    ).toEqual([
      'rules[0].match.ip[1]: "x" is not an IP address or CIDR',
      'rules[0].match.path[1]: "//b" is not a valid path glob (empty segment "//")',
      'rules[0].match.path[2]: "/./c" is not a valid path glob (dot segments never match a normalised path)',
      'rules[0].match.method[1]: 7 is not an HTTP method (e.g. GET, POST)',
      'rules[0].by[1]: "cookie" is not one of ip, path, method, header:NAME',
    ])
    expect(problems([ok({ by: ['ip', 'path', 'ip'] })])).toEqual(['rules[0].by[2]: "ip" is listed twice'])
  })

  it('explains wrong types, missing fields and bad windows', () => {
    expect(problems([{ limit: 1 }])).toEqual([
      'rules[0].id: missing (required: 1–64 characters: letters, digits, ".", "_", "-")',
      'rules[0].per: missing (required: second, minute, hour, day, or <n>ms|s|m|h|d from 100ms to 7d)',
    ])
    expect(problems([5])).toEqual([
      'rules[0]: 5 is not a rule (a mapping with id, limit, per and optionally match, by, mode, description)',
    ])
    expect(problems([ok({ match: 5, limit: 'ten', per: 'fortnight', mode: 'log' })])).toEqual([
      'rules[0].match: 5 is not a mapping of conditions (ip, path, method, header)',
      'rules[0].limit: "ten" is not a positive integer',
      'rules[0].per: "fortnight" is not a window (second, minute, hour, day, or <n>ms|s|m|h|d from 100ms to 7d)',
      'rules[0].mode: "log" is not "enforce" or "shadow"',
    ])
    expect(problems([ok({ id: 'has space', limit: 1.5, per: '50ms' })])).toEqual([
      'rules[0].id: "has space" is not a rule id (1–64 characters: letters, digits, ".", "_", "-")',
      'rules[0].limit: 1.5 is not a positive integer',
      'rules[0].per: "50ms" is not a window (second, minute, hour, day, or <n>ms|s|m|h|d from 100ms to 7d)',
    ])
    expect(problems([ok({ per: '8d' })])).toEqual([
      'rules[0].per: "8d" is not a window (second, minute, hour, day, or <n>ms|s|m|h|d from 100ms to 7d)',
    ])
    expect(problems([ok({ match: { ip: 5, path: [] }, by: 'ip' })])).toEqual([
      'rules[0].match.ip: 5 is not an IP address or CIDR, or a list of them',
      'rules[0].match.path: [] is an empty list',
      'rules[0].by: "ip" is not a list (e.g. [ip] or [ip, path])',
    ])
    expect(problems({ id: 'x' })).toEqual(['rules: {"id":"x"} is not a list of rules'])
  })

  it('accepts every window form within bounds', () => {
    for (const per of ['second', 'minute', 'hour', 'day', '100ms', '1500ms', '10s', '5m', '2h', '7d']) {
      expect(problems([ok({ per })]), per).toEqual([])
    }
    for (const per of ['99ms', '0s', '1.5s', '10 s', '1w', 'Minute', '']) {
      expect(problems([ok({ per })]), per).toHaveLength(1)
    }
  })

  it('checks header conditions: names case-insensitive, values bounded', () => {
    expect(problems([ok({ match: { header: { 'bad name': 'x', 'X-A': 'y', 'x-a': 'z' } } })])).toEqual([
      `rules[0].match.header: {"bad name":"x","X-A":"y","x-a":"z"} has an invalid header name "bad name" (1–64 letters, digits or !#$%&'*+-.^_\`|~)`,
      'rules[0].match.header: {"bad name":"x","X-A":"y","x-a":"z"} names header "x-a" twice (names are case-insensitive)',
    ])
    expect(problems([ok({ match: { header: { 'x-a': 'line\nbreak' } } })])).toEqual([
      'rules[0].match.header.x-a: "line\\nbreak" contains a control character',
    ])
    expect(problems([ok({ match: { header: [] } })])).toEqual(['rules[0].match.header: [] is not a mapping of header names to values'])
  })

  it('normalises spellings: methods upper-case, header names lower-case, mode defaulted', () => {
    const rule = ruleSchema.parse({
      id: 'x',
      match: { method: ['get', 'Post'], header: { 'X-Api-Key': 'k-*' } },
      by: ['header:X-Api-Key', 'ip'],
      limit: 3,
      per: '100ms',
    })
    expect(rule).toEqual({
      id: 'x',
      match: { method: ['GET', 'POST'], header: { 'x-api-key': 'k-*' } },
      by: ['header:x-api-key', 'ip'],
      limit: 3,
      per: '100ms',
      mode: 'enforce',
    })
    expect(ruleSchema.parse(ok({ match: { method: 'delete' }, mode: 'shadow' }))).toMatchObject({ match: { method: 'DELETE' }, mode: 'shadow' })
    // A header named twice in different case in `by` is the same dimension.
    expect(problems([ok({ by: ['header:X-Key', 'header:x-key'] })])).toEqual(['rules[0].by[1]: "header:x-key" is listed twice'])
  })

  it('enforces its hard limits on untrusted rule sets', () => {
    const many = Array.from({ length: RULE_LIMITS.maxRules + 1 }, (_, i) => ok({ id: `r${i}` }))
    const lines = problems(many)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^rules: \[.*… has more than 1000 rules$/)
    expect(problems(many.slice(0, RULE_LIMITS.maxRules))).toEqual([])

    expect(problems([ok({ id: 'x'.repeat(64) })])).toEqual([])
    expect(problems([ok({ id: 'x'.repeat(65) })])).toEqual([
      `rules[0].id: "${'x'.repeat(65)}" is not a rule id (1–64 characters: letters, digits, ".", "_", "-")`,
    ])

    expect(problems([ok({ description: 'd'.repeat(200) })])).toEqual([])
    expect(problems([ok({ description: 'd'.repeat(201) })])[0]).toMatch(/is longer than 200 characters$/)

    const ips = Array.from({ length: RULE_LIMITS.maxAddresses + 1 }, (_, i) => `10.0.${i >> 8}.${i & 255}`)
    expect(problems([ok({ match: { ip: ips.slice(0, RULE_LIMITS.maxAddresses) } })])).toEqual([])
    expect(problems([ok({ match: { ip: ips } })])[0]).toMatch(/^rules\[0\]\.match\.ip: .* has more than 1024 entries$/)

    const paths = Array.from({ length: RULE_LIMITS.maxPaths + 1 }, (_, i) => `/p${i}`)
    expect(problems([ok({ match: { path: paths } })])[0]).toMatch(/has more than 64 entries$/)
    const methods = Array.from({ length: RULE_LIMITS.maxMethods + 1 }, (_, i) => `M${i}`)
    expect(problems([ok({ match: { method: methods } })])[0]).toMatch(/has more than 16 entries$/)

    const headers = Object.fromEntries(Array.from({ length: RULE_LIMITS.maxHeaders + 1 }, (_, i) => [`h${i}`, 'v']))
    expect(problems([ok({ match: { header: headers } })])[0]).toMatch(/has more than 16 headers$/)
    expect(problems([ok({ match: { header: { ['h'.repeat(65)]: 'v' } } })])[0]).toMatch(/has an invalid header name/)
    expect(problems([ok({ match: { header: { h: 'v'.repeat(1024) } } })])).toEqual([])
    expect(problems([ok({ match: { header: { h: 'v'.repeat(1025) } } })])[0]).toMatch(/is longer than 1024 characters$/)

    expect(problems([ok({ match: { path: `/${'a'.repeat(1023)}` } })])).toEqual([])
    expect(problems([ok({ match: { path: `/${'a'.repeat(1024)}` } })])[0]).toMatch(/is not a valid path glob \(longer than 1024 characters\)$/)

    const by = ['ip', 'path', 'method', ...Array.from({ length: 6 }, (_, i) => `header:h${i}`)]
    expect(problems([ok({ by: by.slice(0, 8) })])).toEqual([])
    expect(problems([ok({ by })])[0]).toMatch(/^rules\[0\]\.by: .* has more than 8 entries$/)

    expect(problems([ok({ limit: RULE_LIMITS.maxLimit })])).toEqual([])
    expect(problems([ok({ limit: RULE_LIMITS.maxLimit + 1 })])).toEqual([
      'rules[0].limit: 1000000000001 is larger than the maximum 1000000000000',
    ])
  })

  it('accepts IPv6, CIDR and lists, and rejects prefixes out of range', () => {
    expect(problems([ok({ match: { ip: ['::1', '2001:db8::/32', '10.0.0.0/8', '::ffff:1.2.3.4', '0.0.0.0/0'] } })])).toEqual([])
    for (const bad of ['10.0.0.0/33', '::/129', '1.2.3', '1.2.3.4/', '1.2.3.4/08', '01.2.3.4', 'fe80::1%eth0', '1:2:3:4:5:6:7:8:9', 'localhost']) {
      expect(problems([ok({ match: { ip: bad } })]), bad).toEqual([`rules[0].match.ip: ${JSON.stringify(bad)} is not an IP address or CIDR`])
    }
  })
})
