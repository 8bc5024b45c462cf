// The built UI (admin-ui/dist) in headless Chromium with a fake API, kept only for what the live-cluster test
// (cluster.e2e.test.ts) cannot reach: a node that has never answered since the page opened (every live page gets at
// least one answer from the node that served it). Needs `npm run build:ui` first and Debian's chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AdminPage } from './admin-page.js'
import { launchChromium, type LaunchedChromium } from './chromium.js'
import { routeFakeApi } from './fake-api-routes.js'
import { servePreview, type PreviewServer } from './preview-server.js'

let server: PreviewServer
let browser: LaunchedChromium

beforeAll(async () => {
  server = await servePreview()
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('built admin UI in Chromium, fake API', () => {
  it('shows the designed "node unreachable" state when the admin API never answers', async () => {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    try {
      const api = await routeFakeApi(page, { unreachable: true })
      const admin = await AdminPage.open(page, server.url)
      const panel = page.getByTestId('cluster-error')
      await panel.waitFor({ timeout: 10_000 })
      expect(await panel.textContent()).toContain('Node unreachable')
      expect(await page.getByTestId('connection-status').getAttribute('data-tone')).toBe('bad')
      // Without any answer there is nothing stale to show and no "last answer" time.
      expect(await page.getByTestId('last-ok').count()).toBe(0)
      expect(await page.getByTestId('member-table').count()).toBe(0)
      // It keeps asking (the page polls every second), and a retry asks at once.
      const before = api.calls.length
      await page.getByRole('button', { name: 'Retry now' }).click()
      await expect.poll(() => api.calls.length, { timeout: 5000 }).toBeGreaterThan(before)
      await admin.screenshot('fake-unreachable')
      expect(errors).toEqual([])
    } finally {
      await page.close()
    }
  })
})
