import { describe, expect, it } from 'vitest'
import type { Rule, RuleBody } from '../src/lib/api-types.js'
import { describeChanger, describeMatch, ruleRows, usageLevel } from '../src/lib/rule-summary.js'

function stamped(body: RuleBody): Rule {
  return { ...body, updatedAt: 1, updatedBy: 'n1' }
}

describe('rule summary', () => {
  it('says what a rule matches in one line', () => {
    expect(describeMatch({ id: 'a', limit: 1, per: 'minute' })).toBe('every request')
    expect(
      describeMatch({
        id: 'b',
        limit: 1,
        per: 'minute',
        match: { ip: ['10.0.0.0/8', '::1'], path: '/items/*', method: 'GET', header: { 'X-Key': 'k*' } },
      }),
    ).toBe('ip 10.0.0.0/8, ::1 · path /items/* · method GET · X-Key: k*')
  })

  it('pairs each rule with its busiest key and the fraction of the limit it uses', () => {
    const rows = ruleRows(
      [
        stamped({ id: 'per-ip', by: ['ip'], limit: 100, per: 'minute' }),
        stamped({ id: 'fresh', limit: 10, per: 'minute' }),
        stamped({ id: 'idle', limit: 10, per: 'minute' }),
      ],
      [
        { id: 'per-ip', limit: 100, windowMs: 60_000, keys: [{ key: 'a', estimate: 20 }, { key: 'b', estimate: 75 }] },
        { id: 'idle', limit: 10, windowMs: 60_000, keys: [] },
      ],
    )
    expect(rows.map((r) => [r.rule.id, r.busiest?.key ?? null, r.fraction])).toEqual([
      ['per-ip', 'b', 0.75],
      ['fresh', null, 0],
      ['idle', null, 0],
    ])
    expect(rows[1]!.usage).toBeNull()
    expect(rows[2]!.usage).not.toBeNull()
  })

  it('says which node changed a rule, or that it comes from cluster.yml', () => {
    expect(describeChanger('n2')).toBe('on n2')
    expect(describeChanger('cluster.yml')).toBe('from cluster.yml')
  })

  it('colours usage by how close it is to the limit', () => {
    expect([0, 0.69, 0.7, 0.99, 1, 1.3].map(usageLevel)).toEqual(['calm', 'calm', 'warning', 'warning', 'critical', 'critical'])
  })
})
