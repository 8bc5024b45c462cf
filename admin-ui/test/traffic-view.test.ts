import { fireEvent, render, screen, waitFor } from '@testing-library/svelte'
import { beforeAll, describe, expect, it } from 'vitest'
import TrafficView from '../src/components/TrafficView.svelte'
import { AdminSession } from '../src/lib/session.svelte.js'
import { installCanvasStub } from './fixtures/canvas-stub.js'
import { createFakeApi } from './fixtures/fake-api.js'

beforeAll(installCanvasStub)

describe('traffic view', () => {
  it('asks for the chosen range and node and shows the totals by outcome', async () => {
    const api = createFakeApi()
    render(TrafficView, { session: new AdminSession({ fetch: api.fetch, storage: null }), nodes: ['n1', 'n2', 'n3'] })
    const requests = await screen.findByTestId('traffic-total-requests')
    expect(screen.getByTestId('chart-requests').querySelector('canvas')).not.toBeNull()
    expect(screen.getByTestId('chart-latency').getAttribute('aria-label')).toBe('Latency percentiles over the last hour')
    expect(requests.textContent).toMatch(/Requests\s*[1-9][\d,]*/)
    expect(screen.getByTestId('traffic-total-limited').textContent).toMatch(/Limited\s*[1-9][\d,]*/)
    expect(screen.getByTestId('traffic-timezone').textContent).toMatch(/^times in \S+/)
    const first = api.calls.at(-1)!.url.searchParams
    expect([first.get('resolution'), first.get('node')]).toEqual(['minute', 'merged'])
    expect(Number(first.get('to')) - Number(first.get('from'))).toBe(3_600_000)

    await fireEvent.click(screen.getByTestId('range-week'))
    await waitFor(() => expect(api.calls.at(-1)!.url.searchParams.get('resolution')).toBe('hour'))
    expect(screen.getByTestId('range-week').getAttribute('aria-pressed')).toBe('true')
    const week = api.calls.at(-1)!.url.searchParams
    expect(Number(week.get('to')) - Number(week.get('from'))).toBe(7 * 86_400_000)

    await fireEvent.change(screen.getByTestId('node-select'), { target: { value: 'n2' } })
    await waitFor(() => expect(api.calls.at(-1)!.url.searchParams.get('node')).toBe('n2'))
  })

  it('says a node did not answer instead of showing its traffic as zero, and names the missing in merged figures', async () => {
    const api = createFakeApi({ states: { n3: 'down' } })
    render(TrafficView, { session: new AdminSession({ fetch: api.fetch, storage: null }), nodes: ['n1', 'n2', 'n3'] })
    expect((await screen.findByTestId('traffic-missing')).textContent).toContain('No answer from n3')
    expect(screen.getByTestId('traffic-total-requests').textContent).toMatch(/Requests\s*[1-9]/)

    await fireEvent.change(screen.getByTestId('node-select'), { target: { value: 'n3' } })
    const panel = await screen.findByTestId('traffic-node-missing')
    expect(panel.textContent).toContain('No answer from n3')
    expect(screen.queryByTestId('traffic-total-requests')).toBeNull()
    expect(screen.queryByTestId('traffic-empty')).toBeNull()
  })

  it('shows a designed error with a retry when the stats cannot be loaded', async () => {
    const api = createFakeApi({ unreachable: true })
    render(TrafficView, { session: new AdminSession({ fetch: api.fetch, storage: null }), nodes: [] })
    const panel = await screen.findByTestId('traffic-error')
    expect(panel.textContent).toContain('Node unreachable')
  })
})
