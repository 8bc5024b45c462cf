// What a browser test does with the admin page, in the words of the page (tabs, member rows, totals, the rule
// form), so a test reads as the user's steps and the selectors live in one place. Every wait has a timeout.
import type { Locator, Page } from 'playwright-core'
import type { MemberState } from '../../src/lib/api-types.js'
import type { RuleFormValues } from '../../src/lib/rule-form.js'
import { TOKEN_STORAGE_KEY } from '../../src/lib/token-store.js'
import { saveScreenshot } from './artifacts.js'

export type Tab = 'cluster' | 'traffic' | 'limits'
export type TotalName = 'requests' | 'ok' | 'limited' | 'notFound' | 'errors'

const DEFAULT_TIMEOUT_MS = 15_000

export class AdminPage {
  private constructor(readonly page: Page) {}

  /**
   * Opens the admin UI at `url` (a node's admin address). With `token`, the page starts with it in sessionStorage,
   * as if the operator had entered it earlier in the session.
   */
  static async open(page: Page, url: string, options: { token?: string; tab?: Tab } = {}): Promise<AdminPage> {
    if (options.token !== undefined) {
      await page.addInitScript(
        ([key, token]) => {
          sessionStorage.setItem(key, token)
        },
        [TOKEN_STORAGE_KEY, options.token] as const,
      )
    }
    const target = new URL(url)
    if (options.tab !== undefined) target.hash = options.tab
    await page.goto(target.href, { waitUntil: 'domcontentloaded' })
    return new AdminPage(page)
  }

  async showTab(tab: Tab): Promise<void> {
    await this.page.getByTestId(`tab-${tab}`).click()
    await this.page.locator(`[data-testid="tab-${tab}"][aria-selected="true"]`).waitFor({ timeout: DEFAULT_TIMEOUT_MS })
  }

  member(id: string): Locator {
    return this.page.getByTestId(`member-${id}`)
  }

  /** Waits until every id has a row in the member table. */
  async waitForMembers(ids: readonly string[], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    for (const id of ids) await this.member(id).waitFor({ timeout: timeoutMs })
  }

  /** Waits until the member's row shows one of `states` (e.g. ['down'], or ['self', 'up'] for "up"). */
  async waitForMemberState(id: string, states: readonly MemberState[], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    const selector = states.map((s) => `[data-testid="member-${id}"][data-state="${s}"]`).join(', ')
    await this.page.locator(selector).first().waitFor({ timeout: timeoutMs })
  }

  async memberState(id: string): Promise<string | null> {
    return this.member(id).getAttribute('data-state')
  }

  /** The member's req/s as its row shows it (en-US page), or null where the row shows "—". */
  async memberRate(id: string): Promise<number | null> {
    const text = (await this.member(id).getByTestId('member-rate').textContent()) ?? ''
    const digits = text.replace(/[^\d.]/g, '')
    return digits === '' ? null : Number(digits)
  }

  /** The estimate of the busiest key of rule `id` (Limits tab), or null while the row shows no usage. */
  async ruleUsage(id: string): Promise<number | null> {
    const meter = this.page.getByTestId(`rule-${id}`).getByRole('meter')
    if ((await meter.count()) === 0) return null
    const value = await meter.getAttribute('aria-valuenow')
    return value === null ? null : Number(value)
  }

  /** A total of the Traffic tab (which must be shown), as a number. */
  async trafficTotal(name: TotalName, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<number> {
    const value = this.page.getByTestId(`traffic-total-${name}`).locator('.big')
    await value.waitFor({ timeout: timeoutMs })
    const text = (await value.textContent()) ?? ''
    return Number(text.replace(/[^\d]/g, ''))
  }

  /** Waits until the Traffic tab's total `name` is above `min` (the tab refreshes every 10 s). */
  async waitForTrafficTotal(name: TotalName, min: number, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = await this.trafficTotal(name, Math.max(1, deadline - Date.now()))
      if (value > min) return value
      if (Date.now() > deadline) throw new Error(`traffic total ${name} stayed at ${value} (wanted > ${min}) for ${timeoutMs} ms`)
      await this.page.waitForTimeout(250)
    }
  }

  /** Waits until `key` is listed among the keys limited most (Limits tab). */
  async waitForLimitedKey(key: string, timeoutMs = 30_000): Promise<Locator> {
    const row = this.page.getByTestId('limited-key').filter({ hasText: key })
    await row.first().waitFor({ timeout: timeoutMs })
    return row.first()
  }

  /** Fills and submits the New rule form (Limits tab); resolves when the rule is listed. */
  async createRule(values: Partial<RuleFormValues> & { id: string; limit: string }): Promise<void> {
    await this.page.getByTestId('new-rule').click()
    const form = this.page.getByTestId('rule-form')
    await form.waitFor({ timeout: DEFAULT_TIMEOUT_MS })
    for (const [field, value] of Object.entries(values) as [keyof RuleFormValues, string][]) {
      if (field === 'mode') await form.locator('#rule-mode').selectOption(value)
      else await form.locator(`#rule-${field}`).fill(value)
    }
    await form.getByRole('button', { name: 'Create rule' }).click()
    await this.page.getByTestId(`rule-${values.id}`).waitFor({ timeout: DEFAULT_TIMEOUT_MS })
  }

  /** Opens rule `id` in the form (Limits tab), changes the given fields, saves; resolves when the page says it saved. */
  async editRule(id: string, values: Partial<RuleFormValues>): Promise<void> {
    await this.page.getByRole('button', { name: `Edit ${id}`, exact: true }).click()
    const form = this.page.getByTestId('rule-form')
    await form.waitFor({ timeout: DEFAULT_TIMEOUT_MS })
    for (const [field, value] of Object.entries(values) as [keyof RuleFormValues, string][]) {
      if (field === 'mode') await form.locator('#rule-mode').selectOption(value)
      else await form.locator(`#rule-${field}`).fill(value)
    }
    await form.getByRole('button', { name: 'Save rule' }).click()
    await this.page.getByRole('status').filter({ hasText: `Rule ${id} saved.` }).waitFor({ timeout: DEFAULT_TIMEOUT_MS })
  }

  /** Answers the token prompt, which must be open or about to open. */
  async enterToken(token: string): Promise<void> {
    const dialog = this.page.getByRole('dialog', { name: 'Admin token' })
    await dialog.waitFor({ timeout: DEFAULT_TIMEOUT_MS })
    await dialog.getByLabel('Token').fill(token)
    await dialog.getByRole('button', { name: 'Use token' }).click()
  }

  /** How many CSS pixels the page is wider than the window (0 when nothing sticks out sideways). */
  async overflowX(): Promise<number> {
    return this.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  }

  async screenshot(name: string): Promise<string> {
    return saveScreenshot(this.page, name)
  }
}
