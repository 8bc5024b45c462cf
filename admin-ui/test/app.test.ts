import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import App from '../src/App.svelte'
import { AdminSession } from '../src/lib/session.svelte.js'
import { TOKEN_STORAGE_KEY, type TokenStorage } from '../src/lib/token-store.js'
import { createFakeApi } from './fixtures/fake-api.js'

const TOKEN = 'right-token-0123456789'

function memoryStorage(): TokenStorage & { map: Map<string, string> } {
  const map = new Map<string, string>()
  return {
    map,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  }
}

async function enterToken(value: string): Promise<void> {
  const dialog = await screen.findByRole('dialog', { name: 'Admin token' })
  await fireEvent.input(within(dialog).getByLabelText('Token'), { target: { value } })
  await fireEvent.click(within(dialog).getByRole('button', { name: 'Use token' }))
}

describe('token prompt on 401', () => {
  it('asks for the token, says when it is wrong, then loads with it and keeps it for the session', async () => {
    const api = createFakeApi({ token: TOKEN })
    const storage = memoryStorage()
    const session = new AdminSession({ fetch: api.fetch, storage })
    render(App, { session, clusterIntervalMs: 50 })

    const dialog = await screen.findByRole('dialog', { name: 'Admin token' })
    expect(within(dialog).queryByTestId('token-rejected')).toBeNull()
    expect(api.calls[0]!.authorization).toBeNull()

    await enterToken('wrong-token-0000000000')
    expect(await screen.findByTestId('token-rejected')).toBeTruthy()
    expect(api.calls.some((c) => c.authorization === 'Bearer wrong-token-0000000000')).toBe(true)

    await enterToken(TOKEN)
    await screen.findByTestId('member-n3')
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(storage.map.get(TOKEN_STORAGE_KEY)).toBe(TOKEN)
    expect(api.calls.at(-1)!.authorization).toBe(`Bearer ${TOKEN}`)
  })

  it('uses a token kept from earlier in the session without asking', async () => {
    const api = createFakeApi({ token: TOKEN })
    const storage = memoryStorage()
    storage.setItem(TOKEN_STORAGE_KEY, TOKEN)
    render(App, { session: new AdminSession({ fetch: api.fetch, storage }), clusterIntervalMs: 50 })
    await screen.findByTestId('member-n1')
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(api.calls.every((c) => c.authorization === `Bearer ${TOKEN}`)).toBe(true)
  })

  it('shows a designed "token needed" state when the prompt is dismissed, and can ask again', async () => {
    const api = createFakeApi({ token: TOKEN })
    render(App, { session: new AdminSession({ fetch: api.fetch, storage: memoryStorage() }), clusterIntervalMs: 50 })
    const dialog = await screen.findByRole('dialog', { name: 'Admin token' })
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Not now' }))
    const panel = await screen.findByTestId('cluster-error')
    expect(panel.textContent).toContain('Admin token needed')
    await fireEvent.click(within(panel).getByRole('button', { name: 'Enter token' }))
    await enterToken(TOKEN)
    await screen.findByTestId('member-n2')
  })
})

describe('cluster view', () => {
  it('shows a node going down without a reload', async () => {
    const api = createFakeApi()
    render(App, { session: new AdminSession({ fetch: api.fetch, storage: memoryStorage() }), clusterIntervalMs: 50 })
    await waitFor(() => expect(screen.getByTestId('member-n3').dataset.state).toBe('up'))
    expect(screen.getByTestId('cluster-name').textContent).toBe('meli')
    expect(screen.getByTestId('connected-node').textContent).toBe('n1')
    api.options.states = { n3: 'down' }
    await waitFor(() => expect(screen.getByTestId('member-n3').dataset.state).toBe('down'))
    expect(screen.getByTestId('tile-members').textContent).toContain('2 / 3')
  })

  it('shows "node unreachable" with the last good time when the admin API stops answering', async () => {
    const api = createFakeApi()
    render(App, { session: new AdminSession({ fetch: api.fetch, storage: memoryStorage() }), clusterIntervalMs: 50 })
    await screen.findByTestId('member-n1')
    api.options.unreachable = true
    const stale = await screen.findByTestId('cluster-stale')
    expect(stale.textContent).toContain('Node unreachable')
    expect(stale.textContent).toMatch(/as it was at \d\d:\d\d:\d\d/)
    expect(screen.getByTestId('connection-status').dataset.tone).toBe('bad')
    expect(screen.getByTestId('last-ok').textContent).toMatch(/last answer \d\d:\d\d:\d\d/)
    // The members stay on screen (greyed by the banner), not blanked.
    expect(screen.getByTestId('member-n2')).toBeTruthy()
  })

  it('shows a designed error, not a blank page, when the API never answered', async () => {
    const api = createFakeApi({ unreachable: true })
    render(App, { session: new AdminSession({ fetch: api.fetch, storage: memoryStorage() }), clusterIntervalMs: 50 })
    const panel = await screen.findByTestId('cluster-error')
    expect(panel.textContent).toContain('Node unreachable')
    expect(panel.textContent).toContain('http://')
    expect(within(panel).getByRole('button', { name: 'Retry now' })).toBeTruthy()
  })
})
