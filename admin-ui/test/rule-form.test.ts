import { fireEvent, render, screen } from '@testing-library/svelte'
import { describe, expect, it, vi } from 'vitest'
import type { Rule, RuleBody } from '../src/lib/api-types.js'
import { ApiRequestError } from '../src/lib/errors.js'
import {
  emptyRuleForm,
  formToRule,
  problemsFromApi,
  ruleToForm,
  windowMs,
  type RuleFormValues,
} from '../src/lib/rule-form.js'
import RuleForm from '../src/components/RuleForm.svelte'

function form(values: Partial<RuleFormValues>): RuleFormValues {
  return { ...emptyRuleForm(), ...values }
}

function fieldsWithProblems(values: Partial<RuleFormValues>): (string | null)[] {
  const result = formToRule(form(values))
  return result.ok ? [] : result.problems.map((p) => p.field)
}

describe('client-side checks', () => {
  it('accepts a minimal rule and sends exactly what was typed', () => {
    expect(formToRule(form({ id: 'all', limit: '100' }))).toEqual({
      ok: true,
      rule: { id: 'all', limit: 100, per: 'minute', mode: 'enforce' },
    })
  })

  it('catches an empty id and an id that cannot be a path segment', () => {
    expect(fieldsWithProblems({ id: '', limit: '5' })).toEqual(['id'])
    expect(fieldsWithProblems({ id: '   ', limit: '5' })).toEqual(['id'])
    expect(fieldsWithProblems({ id: 'a b', limit: '5' })).toEqual(['id'])
    expect(fieldsWithProblems({ id: 'a/b', limit: '5' })).toEqual(['id'])
    expect(fieldsWithProblems({ id: 'x'.repeat(129), limit: '5' })).toEqual(['id'])
  })

  it('takes the ids the API takes: 1–64 letters, digits, ".", "_", "-"', () => {
    expect(fieldsWithProblems({ id: 'ip-152.items_v2', limit: '5' })).toEqual([])
    expect(fieldsWithProblems({ id: 'x'.repeat(64), limit: '5' })).toEqual([])
    expect(fieldsWithProblems({ id: 'x'.repeat(65), limit: '5' })).toEqual(['id'])
    expect(fieldsWithProblems({ id: 'límite', limit: '5' })).toEqual(['id'])
    expect(fieldsWithProblems({ id: 'a:b', limit: '5' })).toEqual(['id'])
  })

  it('takes a description of up to 200 characters and sends it trimmed, or not at all when empty', () => {
    expect(formToRule(form({ id: 'r', limit: '1', description: '  for crawlers  ' }))).toMatchObject({
      ok: true,
      rule: { description: 'for crawlers' },
    })
    const blank = formToRule(form({ id: 'r', limit: '1', description: '   ' }))
    expect(blank.ok && 'description' in blank.rule).toBe(false)
    expect(fieldsWithProblems({ id: 'r', limit: '1', description: 'd'.repeat(200) })).toEqual([])
    expect(fieldsWithProblems({ id: 'r', limit: '1', description: 'd'.repeat(201) })).toEqual(['description'])
  })

  it('stops at the API\'s largest limit, 10^12', () => {
    expect(fieldsWithProblems({ id: 'r', limit: '1000000000000' })).toEqual([])
    expect(fieldsWithProblems({ id: 'r', limit: '1000000000001' })).toEqual(['limit'])
  })

  it('takes methods the API takes, such as M-SEARCH', () => {
    expect(fieldsWithProblems({ id: 'r', limit: '1', method: 'M-SEARCH, purge' })).toEqual([])
    expect(fieldsWithProblems({ id: 'r', limit: '1', method: '-GET' })).toEqual(['method'])
  })

  it('catches a missing, zero, negative, fractional or huge limit', () => {
    for (const limit of ['', '0', '-5', '1.5', 'ten', '99999999999999999999']) {
      expect(fieldsWithProblems({ id: 'r', limit }), `limit ${JSON.stringify(limit)}`).toEqual(['limit'])
    }
  })

  it('names the bad value in the message', () => {
    const result = formToRule(form({ id: 'r', limit: '-5' }))
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.problems[0]!.message).toBe('-5 is not a positive whole number')
  })

  it('accepts the windows the proxy accepts and no others', () => {
    expect(windowMs('minute')).toBe(60_000)
    expect(windowMs('10s')).toBe(10_000)
    expect(windowMs('7d')).toBe(7 * 86_400_000)
    expect(windowMs('100ms')).toBe(100)
    for (const per of ['', 'week', '99ms', '8d', '0s', '1.5m', 'minutes']) {
      expect(fieldsWithProblems({ id: 'r', limit: '1', per }), `per ${JSON.stringify(per)}`).toEqual(['per'])
    }
  })

  it('checks addresses, paths, methods, headers and by items', () => {
    expect(fieldsWithProblems({ id: 'r', limit: '1', ip: '152.152.152.152, 10.0.0.0/8, ::1, fe80::/10' })).toEqual([])
    expect(fieldsWithProblems({ id: 'r', limit: '1', ip: '300.1.1.1' })).toEqual(['ip'])
    expect(fieldsWithProblems({ id: 'r', limit: '1', ip: '10.0.0.0/33' })).toEqual(['ip'])
    expect(fieldsWithProblems({ id: 'r', limit: '1', path: 'items/*' })).toEqual(['path'])
    expect(fieldsWithProblems({ id: 'r', limit: '1', method: 'GET, PO$T' })).toEqual(['method'])
    expect(fieldsWithProblems({ id: 'r', limit: '1', header: 'no colon here' })).toEqual(['header'])
    expect(fieldsWithProblems({ id: 'r', limit: '1', header: 'X-A: 1\nx-a: 2' })).toEqual(['header'])
    expect(fieldsWithProblems({ id: 'r', limit: '1', by: 'ip, country' })).toEqual(['by'])
    expect(fieldsWithProblems({ id: 'r', limit: '1', by: 'ip, ip' })).toEqual(['by'])
  })

  it('reports every mistake at once', () => {
    expect(fieldsWithProblems({ id: '', limit: '0', per: 'week' })).toEqual(['id', 'limit', 'per'])
  })
})

describe('form ⇄ API body', () => {
  it('builds match, by and lists the way cluster.yml spells them', () => {
    const result = formToRule(
      form({
        id: 'ip-152-items',
        ip: '152.152.152.152',
        path: '/items/* /items/**/pictures',
        method: 'get, head',
        header: 'X-Api-Key: abc*\n\n',
        by: 'ip, header:x-api-key',
        limit: '10',
        per: '10s',
        mode: 'shadow',
      }),
    )
    expect(result).toEqual({
      ok: true,
      rule: {
        id: 'ip-152-items',
        match: {
          ip: '152.152.152.152',
          path: ['/items/*', '/items/**/pictures'],
          method: ['GET', 'HEAD'],
          header: { 'X-Api-Key': 'abc*' },
        },
        by: ['ip', 'header:x-api-key'],
        limit: 10,
        per: '10s',
        mode: 'shadow',
      },
    })
  })

  it('round-trips a rule from the API through the form', () => {
    const rule: RuleBody = {
      id: 'mixed',
      description: 'kept when the rule is edited',
      match: { ip: ['10.0.0.0/8', '152.152.152.152'], path: '/categories/*', header: { 'X-Client': 'mobile' } },
      by: ['path', 'ip'],
      limit: 6000,
      per: 'minute',
      mode: 'enforce',
    }
    const apiRule: Rule = { ...rule, updatedAt: 1, updatedBy: 'n1' }
    expect(formToRule(ruleToForm(apiRule))).toEqual({ ok: true, rule })
  })

  it('keeps the order of by items (it is part of the counter key)', () => {
    const result = formToRule(form({ id: 'r', limit: '1', by: 'path, ip' }))
    expect(result.ok && result.rule.by).toEqual(['path', 'ip'])
  })

  it('shows a rule without mode as enforce', () => {
    expect(ruleToForm({ id: 'r', limit: 1, per: 'minute' }).mode).toBe('enforce')
  })
})

describe('problems from the API', () => {
  it('attaches each line to the field its path names, keeping the line verbatim', () => {
    const lines = [
      'body.limit: -5 is not a positive integer',
      'body.match.ip[1]: 1.2.3 is not an IP address or CIDR',
      'body.match.header.X-Key: "" is empty',
      'by[0]: country is not ip, path, method or header:NAME',
      'body: unknown field "limits"',
      'something went wrong',
    ]
    expect(problemsFromApi(lines)).toEqual([
      { field: 'limit', message: lines[0] },
      { field: 'ip', message: lines[1] },
      { field: 'header', message: lines[2] },
      { field: 'by', message: lines[3] },
      { field: null, message: lines[4] },
      { field: null, message: lines[5] },
    ])
  })
})

describe('RuleForm component', () => {
  it('shows client-side problems next to their fields and does not call the API', async () => {
    const save = vi.fn<(rule: RuleBody) => Promise<void>>()
    render(RuleForm, { editing: null, save, oncancel: () => {} })
    await fireEvent.input(screen.getByLabelText('limit'), { target: { value: '0' } })
    await fireEvent.click(screen.getByRole('button', { name: 'Create rule' }))
    expect(save).not.toHaveBeenCalled()
    expect(screen.getByTestId('rule-id-error').textContent).toContain('id is required')
    expect(screen.getByTestId('rule-limit-error').textContent).toContain('0 is not a positive whole number')
    expect(screen.getByLabelText('limit').getAttribute('aria-invalid')).toBe('true')
  })

  it('sends the body and shows the API problem lines beside the form and at their field', async () => {
    const line = 'body.match.path: /items/*** is not a path glob'
    const save = vi.fn(async (_rule: RuleBody) => {
      throw new ApiRequestError(400, 'invalid_rule', 'the rule is not valid', [line])
    })
    render(RuleForm, { editing: null, save, oncancel: () => {} })
    await fireEvent.input(screen.getByLabelText('Rule id'), { target: { value: 'items' } })
    await fireEvent.input(screen.getByLabelText('match.path'), { target: { value: '/items/***' } })
    await fireEvent.input(screen.getByLabelText('limit'), { target: { value: '10' } })
    await fireEvent.click(screen.getByRole('button', { name: 'Create rule' }))
    expect(save).toHaveBeenCalledWith({ id: 'items', match: { path: '/items/***' }, limit: 10, per: 'minute', mode: 'enforce' })
    const problems = await screen.findByTestId('rule-problems')
    expect(problems.textContent).toContain(line)
    expect(screen.getByTestId('rule-path-error').textContent).toContain(line)
  })

  it('puts a conflict on the id field', async () => {
    const save = async (): Promise<void> => {
      throw new ApiRequestError(409, 'conflict', 'a rule with id per-ip exists')
    }
    render(RuleForm, { editing: null, save, oncancel: () => {} })
    await fireEvent.input(screen.getByLabelText('Rule id'), { target: { value: 'per-ip' } })
    await fireEvent.input(screen.getByLabelText('limit'), { target: { value: '10' } })
    await fireEvent.click(screen.getByRole('button', { name: 'Create rule' }))
    expect((await screen.findByText('a rule with id per-ip exists')).closest('[data-testid="rule-id-error"]')).not.toBeNull()
  })

  it('edits an existing rule with its id fixed', () => {
    render(RuleForm, {
      editing: { id: 'per-ip', by: ['ip'], limit: 6000, per: 'minute' },
      save: async () => {},
      oncancel: () => {},
    })
    const id = screen.getByLabelText('Rule id') as HTMLInputElement
    expect(id.value).toBe('per-ip')
    expect(id.readOnly).toBe(true)
    expect((screen.getByLabelText('limit') as HTMLInputElement).value).toBe('6000')
    expect(screen.getByRole('button', { name: 'Save rule' })).toBeTruthy()
  })
})
