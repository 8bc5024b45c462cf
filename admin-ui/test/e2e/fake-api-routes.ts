// Puts the in-memory fake admin API (test/fixtures/fake-api.ts) behind a page's /api/v1 requests with page.route,
// so the built UI can be checked in a real browser without a cluster.
import type { Page, Route } from 'playwright-core'
import { createFakeApi, type FakeApi, type FakeApiOptions } from '../fixtures/fake-api.js'

export async function routeFakeApi(page: Page, options: FakeApiOptions = {}): Promise<FakeApi> {
  const api = createFakeApi(options)
  await page.route('**/api/v1/**', async (route: Route) => {
    const request = route.request()
    let response: Response
    try {
      response = await api.fetch(request.url(), {
        method: request.method(),
        headers: await request.allHeaders(),
        body: request.postData() ?? undefined,
      })
    } catch {
      await route.abort('connectionrefused')
      return
    }
    await route.fulfill({
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: response.status === 204 ? '' : await response.text(),
    })
  })
  return api
}
