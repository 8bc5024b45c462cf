import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import LimitsView from '../src/components/LimitsView.svelte'
import { AdminSession } from '../src/lib/session.svelte.js'
import { createFakeApi } from './fixtures/fake-api.js'

function setup() {
  const api = createFakeApi()
  const session = new AdminSession({ fetch: api.fetch, storage: null })
  render(LimitsView, { session, usageIntervalMs: 50, rulesIntervalMs: 50, topIntervalMs: 50 })
  return api
}

describe('limits view', () => {
  it('lists the rules with their busiest key against the limit', async () => {
    setup()
    const row = await screen.findByTestId('rule-ip-152-items')
    expect(row.textContent).toContain('ip 152.152.152.152 · path /items/*')
    await waitFor(() => expect(within(row).getByTestId('rule-usage').textContent).toContain('10 / 10'))
    const meter = within(row).getByRole('meter')
    expect(meter.querySelector('span')!.getAttribute('style')).toContain('width: 100%')
    expect(meter.classList.contains('critical')).toBe(true)
    const perIp = within(screen.getByTestId('rule-per-ip'))
    expect(perIp.getByTestId('rule-usage').textContent).toContain('2,400 / 6,000')
    expect(perIp.getByTestId('rule-usage').textContent).toContain('127.0.0.7')
    expect(perIp.getByText('shadow')).toBeTruthy()
  })

  it('shows the keys limited most', async () => {
    setup()
    const rows = await screen.findAllByTestId('limited-key')
    expect(rows.map((r) => r.textContent)).toEqual([
      expect.stringContaining('152.152.152.152'),
      expect.stringContaining('127.0.0.7'),
    ])
    expect(rows[0]!.textContent).toContain('4,210')
  })

  it('creates a rule through the form and lists it', async () => {
    const api = setup()
    await screen.findByTestId('rules-table')
    await fireEvent.click(screen.getByTestId('new-rule'))
    await fireEvent.input(screen.getByLabelText('Rule id'), { target: { value: 'ua-bots' } })
    await fireEvent.input(screen.getByLabelText('match.header'), { target: { value: 'User-Agent: *bot*' } })
    await fireEvent.input(screen.getByLabelText('limit'), { target: { value: '30' } })
    await fireEvent.click(screen.getByRole('button', { name: 'Create rule' }))
    const row = await screen.findByTestId('rule-ua-bots')
    expect(row.textContent).toContain('User-Agent: *bot*')
    expect(screen.queryByTestId('rule-form')).toBeNull()
    expect(api.calls.find((c) => c.method === 'POST')!.body).toEqual({
      id: 'ua-bots',
      match: { header: { 'User-Agent': '*bot*' } },
      limit: 30,
      per: 'minute',
      mode: 'enforce',
    })
  })

  it('keeps the form open with the API problems when the API refuses', async () => {
    setup()
    await screen.findByTestId('rules-table')
    await fireEvent.click(screen.getByTestId('new-rule'))
    await fireEvent.input(screen.getByLabelText('Rule id'), { target: { value: 'odd' } })
    await fireEvent.input(screen.getByLabelText('match.path'), { target: { value: '/a/***' } })
    await fireEvent.input(screen.getByLabelText('limit'), { target: { value: '3' } })
    await fireEvent.click(screen.getByRole('button', { name: 'Create rule' }))
    const problems = await screen.findByTestId('rule-problems')
    expect(problems.textContent).toContain('body.match.path: /a/*** is not a path glob')
    expect(screen.getByTestId('rule-form')).toBeTruthy()
  })

  it('deletes a rule after confirmation', async () => {
    const api = setup()
    const row = await screen.findByTestId('rule-categories')
    await fireEvent.click(within(row).getByRole('button', { name: 'Delete categories' }))
    expect(api.calls.some((c) => c.method === 'DELETE')).toBe(false)
    await fireEvent.click(within(row).getByRole('button', { name: 'Delete' }))
    await waitFor(() => expect(screen.queryByTestId('rule-categories')).toBeNull())
    expect(api.rules.map((r) => r.id)).not.toContain('categories')
  })
})
