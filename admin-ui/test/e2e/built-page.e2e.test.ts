// The built UI (admin-ui/dist) in headless Chromium against the fake API: every tab renders its data, the designed
// error state shows when the API is down, and the token prompt works in a real browser. Screenshots are saved as
// artifacts. Needs `npm run build:ui` first and Debian's chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AdminPage } from './admin-page.js'
import { launchChromium, type LaunchedChromium } from './chromium.js'
import { routeFakeApi } from './fake-api-routes.js'
import { servePreview, type PreviewServer } from './preview-server.js'

let server: PreviewServer
let browser: LaunchedChromium

beforeAll(async () => {
  server = await servePreview()
  browser = await launchChromium({ timezoneId: 'Asia/Tokyo' })
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('built admin UI in Chromium', () => {
  it('shows the cluster, with a down member, and the traffic and limits tabs with data', async () => {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    try {
      await routeFakeApi(page, { now: Date.now(), states: { n3: 'down' } })
      const admin = await AdminPage.open(page, server.url)
      await admin.waitForMembers(['n1', 'n2', 'n3'])
      await admin.waitForMemberState('n3', ['down'])
      expect(await admin.memberState('n2')).toBe('up')
      await admin.screenshot('fake-cluster')

      await admin.showTab('traffic')
      expect(await admin.trafficTotal('requests')).toBeGreaterThan(0)
      expect(await admin.trafficTotal('limited')).toBeGreaterThan(0)
      await page.getByTestId('chart-requests').locator('canvas').first().waitFor()
      expect(await page.getByTestId('traffic-timezone').textContent()).toBe('times in Asia/Tokyo')
      await admin.screenshot('fake-traffic')
      await page.getByTestId('range-week').click()
      await page.locator('[data-testid="resolution"]:disabled').waitFor()
      expect(await page.getByTestId('resolution').inputValue()).toBe('hour')
      await page.getByTestId('chart-requests').locator('canvas').first().waitFor()
      await admin.screenshot('fake-traffic-week')

      await admin.showTab('limits')
      await admin.waitForLimitedKey('152.152.152.152')
      await admin.createRule({ id: 'e2e-rule', path: '/sites/*', limit: '25', per: '10s' })
      await admin.screenshot('fake-limits')
      expect(errors).toEqual([])
    } finally {
      await page.close()
    }
  })

  it('shows the designed "node unreachable" state when the admin API does not answer', async () => {
    const page = await browser.newPage()
    try {
      await routeFakeApi(page, { unreachable: true })
      const admin = await AdminPage.open(page, server.url)
      const panel = page.getByTestId('cluster-error')
      await panel.waitFor({ timeout: 10_000 })
      expect(await panel.textContent()).toContain('Node unreachable')
      expect(await page.getByTestId('connection-status').getAttribute('data-tone')).toBe('bad')
      await admin.screenshot('fake-unreachable')
    } finally {
      await page.close()
    }
  })

  it('asks for the admin token on 401 and keeps it across a reload of the tab', async () => {
    const page = await browser.newPage()
    try {
      const api = await routeFakeApi(page, { token: 'e2e-token-0123456789' })
      const admin = await AdminPage.open(page, server.url)
      await admin.screenshot('fake-token-prompt')
      await admin.enterToken('e2e-token-0123456789')
      await admin.waitForMembers(['n1', 'n2', 'n3'])
      const before = api.calls.length
      await page.reload()
      await admin.waitForMembers(['n1'])
      expect(await page.getByRole('dialog').count()).toBe(0)
      expect(api.calls.slice(before).every((c) => c.authorization === 'Bearer e2e-token-0123456789')).toBe(true)
    } finally {
      await page.close()
    }
  })
})
