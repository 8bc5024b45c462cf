// The admin UI against a live cluster: three real meliproxy nodes (node/testing/test-cluster.ts) in front of the
// local origin, steady traffic from several loopback addresses (one of them over a per-ip limit), and the page that
// n1 serves, in headless Chromium. The steps are an operator's: enter the token, see the nodes and their rates, read
// the traffic, find who is limited, add a rule and watch the proxy enforce it on the other nodes, see a node die and
// then lose the node the page talks to, all without reloading. Screenshots go to test-artifacts/admin-ui/live-*.png;
// MELIPROXY_UPDATE_DOCS_SCREENSHOTS=1 also copies three of them over admin-ui/docs/ (see artifacts.ts).
// Needs the built node code and UI (`npm run build`; npm test's pretest does it) and Debian's chromium.
import type { Page } from 'playwright-core'
import { Agent, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { ClusterView, RulesResponse, StatsResponse } from '../../src/lib/api-types.js'
import { AdminPage } from './admin-page.js'
import { publishScreenshot } from './artifacts.js'
import { launchChromium, type LaunchedChromium } from './chromium.js'
import { startLiveCluster, type LiveCluster, type LiveNode } from './live-cluster.js'
import { TrafficGenerator, type TrafficClient } from './traffic-generator.js'

const PER_IP_LIMIT = 40
const RULES = [
  { id: 'categories', match: { path: '/categories/*' }, limit: 6000, per: 'minute' },
  { id: 'per-ip-items', description: 'one client may not crawl the items', match: { path: '/items/*' }, by: ['ip'], limit: PER_IP_LIMIT, per: 'minute' },
]

/** The client that goes over per-ip-items within seconds; the others stay under every limit. */
const HEAVY = '127.0.0.66'
const CLIENTS: TrafficClient[] = [
  { address: '127.0.0.11', paths: ['/categories/MLA97994', '/sites/MLA', '/categories/MLA1055', '/categories/not-an-id'] },
  { address: '127.0.0.12', paths: ['/sites/MLB', '/categories/MLB1000', '/categories/MLA97994'] },
  { address: '127.0.0.13', paths: ['/categories/MLM1', '/sites/MLM', '/categories/MLA97994'] },
  { address: HEAVY, paths: ['/items/MLA600001', '/items/MLA600002'] },
]
/** At most one request per client per tick: about 4 × 16 req/s, light enough for two shared cores. */
const TICK_MS = 60

/** The rule the test creates in the form; the background traffic never asks for /users/*. */
const UI_RULE = { id: 'ui-users', path: '/users/*', limit: 5, per: 'hour' }
const UI_RULE_CLIENT = '127.0.0.21'

let cluster: LiveCluster
let browser: LaunchedChromium
let traffic: TrafficGenerator
let page: Page
let admin: AdminPage
const pageErrors: string[] = []
const agents = new Map<string, Agent>()

function node(i: number): LiveNode {
  return cluster.nodes[i]!
}

async function adminGet<T>(n: LiveNode, path: string): Promise<T> {
  const res = await fetch(`${n.admin}${path}`, { headers: { authorization: `Bearer ${cluster.token}` } })
  if (res.status !== 200) throw new Error(`${n.id} ${path} answered ${res.status}: ${await res.text()}`)
  return (await res.json()) as T
}

interface ProxyAnswer {
  node: string
  status: number
  /** `rule` of the 429 body, null otherwise. */
  rule: string | null
  policy: string
}

/** One request through node `n`'s proxy from `address`. */
async function viaProxy(n: LiveNode, path: string, address: string): Promise<ProxyAnswer> {
  let agent = agents.get(address)
  if (agent === undefined) {
    agent = new Agent({ localAddress: address, connections: 1 })
    agents.set(address, agent)
  }
  const res = await request(`${n.http}${path}`, { dispatcher: agent, headersTimeout: 5000, bodyTimeout: 5000 })
  const body = await res.body.text()
  const rule = res.statusCode === 429 ? ((JSON.parse(body) as { rule?: string }).rule ?? null) : null
  const policy = res.headers['ratelimit-policy']
  return { node: n.id, status: res.statusCode, rule, policy: typeof policy === 'string' ? policy : '' }
}

/** Polls `check` every 200 ms until it returns something other than null, undefined or false; fails after timeoutMs. */
function until<T>(check: () => Promise<T | null | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await check()
      if (value === null || value === undefined || value === false) throw new Error(`timed out waiting for ${what}`)
      return value
    },
    { timeout: timeoutMs, interval: 200 },
  )
}

/** Sums of the merged series of a stats answer. */
function totalsOf(stats: StatsResponse): { requests: number; limited: number; notFound: number } {
  let requests = 0
  let limited = 0
  let notFound = 0
  for (const b of stats.series.find((s) => s.node === 'merged')?.buckets ?? []) {
    requests += b.total
    limited += b.outcomes.limited429
    notFound += b.outcomes.notFound404
  }
  return { requests, limited, notFound }
}

beforeAll(async () => {
  // The nodes and the browser start side by side; whichever started is closed by afterAll if the other failed.
  const [started, launched] = await Promise.allSettled([
    startLiveCluster({ nodes: 3, rules: RULES }),
    launchChromium({ timezoneId: 'America/Sao_Paulo' }),
  ])
  if (started.status === 'fulfilled') cluster = started.value
  if (launched.status === 'fulfilled') browser = launched.value
  if (started.status === 'rejected') throw started.reason
  if (launched.status === 'rejected') throw launched.reason
  await cluster.waitReady()
  traffic = new TrafficGenerator(
    cluster.nodes.map((n) => n.http),
    CLIENTS,
    TICK_MS,
  )
  traffic.start()
  page = await browser.newPage()
  page.on('pageerror', (e) => pageErrors.push(e.message))
})

afterAll(async () => {
  await traffic?.stop()
  await browser?.close()
  await Promise.all([...agents.values()].map((a) => a.close()))
  await cluster?.close()
})

describe('admin UI of a live three-node cluster', () => {
  it('asks for the admin token, then lists the three nodes, each with a request rate', async () => {
    admin = await AdminPage.open(page, node(0).admin)
    await admin.enterToken('not-the-admin-token-000000')
    await page.getByTestId('token-rejected').waitFor({ timeout: 10_000 })
    await admin.enterToken(cluster.token)

    await admin.waitForMembers(['n1', 'n2', 'n3'])
    expect(await page.getByTestId('cluster-name').textContent()).toBe('test')
    expect(await page.getByTestId('connected-node').textContent()).toBe('n1')
    expect(await admin.memberState('n1')).toBe('self')
    await admin.waitForMemberState('n2', ['up'])
    await admin.waitForMemberState('n3', ['up'])
    for (const n of cluster.nodes) {
      await expect.poll(() => admin.memberRate(n.id), { timeout: 15_000, interval: 250 }).toBeGreaterThan(0)
      // The row shows the member's own addresses, as the member reports them.
      expect(await admin.member(n.id).textContent()).toContain(n.admin.slice('http://'.length))
    }
    await expect.poll(async () => (await page.getByTestId('tile-members').textContent())?.replace(/\s+/g, ' '), { timeout: 5000 }).toContain('3 / 3')

    // The token is kept for the tab: a reload asks nothing and sends it.
    await page.reload({ waitUntil: 'domcontentloaded' })
    await admin.waitForMembers(['n1', 'n2', 'n3'])
    expect(await page.getByRole('dialog').count()).toBe(0)

    expect(await admin.overflowX()).toBe(0)
    await admin.screenshot('live-cluster')
    expect(pageErrors).toEqual([])
  })

  it('shows in the Traffic tab what the cluster recorded: requests, limited ones, not found, and charts', async () => {
    // What the proxies have answered by now must be in the merged stats of every node (flushed every 200 ms).
    const answered = traffic.answered()
    const recorded = await until(
      async () => {
        const stats = await adminGet<StatsResponse>(node(0), '/api/v1/stats')
        const totals = totalsOf(stats)
        return stats.missing.length === 0 && totals.requests >= answered && totals.limited > 0 && totals.notFound > 0 ? totals : null
      },
      15_000,
      `the merged stats of n1 to hold the ${answered} requests answered so far`,
    )

    await admin.showTab('traffic')
    const shown = await admin.trafficTotal('requests')
    const sentSince = traffic.answered() + traffic.counts().failed
    // At least what the API had a moment before; at most what the clients sent, plus one in flight each: the page
    // neither loses a node's requests nor counts one twice.
    expect(shown).toBeGreaterThanOrEqual(recorded.requests)
    expect(shown).toBeLessThanOrEqual(sentSince + CLIENTS.length)
    expect(await admin.trafficTotal('limited')).toBeGreaterThanOrEqual(recorded.limited)
    expect(await admin.trafficTotal('notFound')).toBeGreaterThanOrEqual(recorded.notFound)
    expect(await admin.trafficTotal('ok')).toBeGreaterThan(0)
    expect(await page.getByTestId('traffic-timezone').textContent()).toBe('times in America/Sao_Paulo')
    await page.getByTestId('chart-requests').locator('canvas').first().waitFor({ timeout: 10_000 })
    await page.getByTestId('chart-latency').locator('canvas').first().waitFor({ timeout: 10_000 })
    expect(await admin.overflowX()).toBe(0)
    await publishScreenshot(await admin.screenshot('live-traffic'), 'traffic')

    // A week by hours holds the same requests (the cluster is younger than an hour).
    await page.getByTestId('range-week').click()
    await page.locator('[data-testid="resolution"]:disabled').waitFor({ timeout: 10_000 })
    expect(await page.getByTestId('resolution').inputValue()).toBe('hour')
    await admin.waitForTrafficTotal('requests', recorded.requests - 1)
    await page.getByTestId('chart-requests').locator('canvas').first().waitFor({ timeout: 10_000 })
    await admin.screenshot('live-traffic-week')
    await page.getByTestId('range-hour').click()
    expect(pageErrors).toEqual([])
  })

  it('lists the limited client, and a rule created in the form is enforced by n2 and n3', async () => {
    await admin.showTab('limits')
    const limitedRow = await admin.waitForLimitedKey(HEAVY)
    expect(await limitedRow.textContent()).toContain('per-ip-items')
    expect(traffic.counts().limited[HEAVY]?.['per-ip-items'] ?? 0).toBeGreaterThan(0)
    // The rule's busiest key is the heavy client, near its limit (the estimate n1's counters hold).
    await expect.poll(() => admin.ruleUsage('per-ip-items'), { timeout: 10_000, interval: 250 }).toBeGreaterThanOrEqual(PER_IP_LIMIT / 2)
    expect(await page.getByTestId('rule-per-ip-items').textContent()).toContain(HEAVY)

    // Before the rule exists, /users/* passes.
    expect((await viaProxy(node(1), '/users/42', UI_RULE_CLIENT)).status).toBe(200)
    await admin.createRule({ id: UI_RULE.id, path: UI_RULE.path, limit: String(UI_RULE.limit), per: UI_RULE.per })
    for (const n of [node(1), node(2)]) {
      await until(async () => (await adminGet<RulesResponse>(n, '/api/v1/rules')).rules.some((r) => r.id === UI_RULE.id), 10_000, `${n.id} to list rule ${UI_RULE.id}`)
    }

    // One client, one request at a time, alternating between n2 and n3: the limit holds across them.
    const answers: ProxyAnswer[] = []
    for (let i = 0; i < 16; i++) answers.push(await viaProxy(node(1 + (i % 2)), `/users/${1000 + i}`, UI_RULE_CLIENT))
    const admitted = answers.filter((a) => a.status === 200).length
    const rejected = answers.filter((a) => a.status !== 200)
    // Never over the limit (+1 for counts in flight between nodes). Fewer can be admitted: a cold key with a small
    // limit is split among the three nodes up front, and n1 gets no traffic to spend its part (budget-split.ts).
    expect(admitted).toBeGreaterThanOrEqual(1)
    expect(admitted).toBeLessThanOrEqual(UI_RULE.limit + 1)
    expect(rejected.map((a) => `${a.status} ${a.rule}`)).toEqual(rejected.map(() => `429 ${UI_RULE.id}`))
    expect(rejected.every((a) => a.policy.includes(`"${UI_RULE.id}";q=${UI_RULE.limit}`))).toBe(true)
    expect(new Set(rejected.map((a) => a.node))).toEqual(new Set(['n2', 'n3']))

    // The page shows the new rule's usage, counted on n2 and n3 and gossiped to n1.
    await expect.poll(() => admin.ruleUsage(UI_RULE.id), { timeout: 15_000, interval: 250 }).toBe(admitted)
    // ... and its 429s among the keys limited most (a rule without "by" has one key, shown as "(all requests)"). The
    // list refreshes every 10 s; picking a range asks at once, as an operator would.
    const ruleKey = page.getByTestId('limited-key').filter({ hasText: UI_RULE.id })
    const ruleKeyCells = async (): Promise<string[]> =>
      (await ruleKey.count()) === 0 ? [] : (await ruleKey.first().locator('td').allTextContents()).map((t) => t.trim())
    for (const range of ['day', 'hour']) {
      await page.getByTestId('top-range').selectOption(range)
      await expect.poll(ruleKeyCells, { timeout: 25_000, interval: 250 }).toEqual(['(all requests)', UI_RULE.id, String(rejected.length)])
    }
    expect(await admin.overflowX()).toBe(0)
    await publishScreenshot(await admin.screenshot('live-limits'), 'limits')
    expect(pageErrors).toEqual([])
  })

  it('edits a rule in the form: the change reaches every node and what the form does not show is kept', async () => {
    await admin.editRule('per-ip-items', { limit: String(PER_IP_LIMIT * 2) })
    for (const n of cluster.nodes) {
      const rule = await until(
        async () => (await adminGet<RulesResponse>(n, '/api/v1/rules')).rules.find((r) => r.id === 'per-ip-items' && r.limit === PER_IP_LIMIT * 2),
        10_000,
        `${n.id} to have per-ip-items at ${PER_IP_LIMIT * 2}`,
      )
      expect(rule).toMatchObject({ description: RULES[1]!.description, match: { path: '/items/*' }, by: ['ip'], per: 'minute', updatedBy: 'n1' })
    }
    const row = page.getByTestId('rule-per-ip-items')
    await expect.poll(async () => (await row.textContent())?.replace(/\s+/g, ' '), { timeout: 10_000 }).toContain(`${PER_IP_LIMIT * 2} per minute`)
    expect(await row.textContent()).toContain(RULES[1]!.description)
    expect(pageErrors).toEqual([])
  })

  it('shows a killed node as down, then the loss of its own node, without a reload', async () => {
    await admin.showTab('cluster')
    traffic.setTargets([node(0).http, node(1).http])
    // A reload would drop this flag: every change below must arrive through polling.
    await page.evaluate(() => {
      ;(window as unknown as { sameDocument: boolean }).sameDocument = true
    })

    await cluster.kill(2)
    await admin.waitForMemberState('n3', ['down'], 20_000)
    await admin.member('n3').getByText('no answer').waitFor({ timeout: 10_000 })
    expect(await admin.memberRate('n3')).toBeNull()
    // n2 stays up (on a loaded machine a late heartbeat may make it suspect for a moment).
    await admin.waitForMemberState('n2', ['up'])
    await expect
      .poll(async () => (await page.getByTestId('tile-suspect-down').textContent())?.replace(/\s+/g, ' ').trim(), { timeout: 10_000 })
      .toBe('0 / 1')
    expect(await admin.overflowX()).toBe(0)
    const view = await adminGet<ClusterView>(node(0), '/api/v1/cluster')
    expect(view.members.find((m) => m.id === 'n3')?.state).toBe('down')
    // The README's cluster picture: live rates on two nodes, the third one down.
    await publishScreenshot(await admin.screenshot('live-cluster-node-down'), 'cluster')

    // The node the page talks to goes away: the last answer stays on screen under the "unreachable" status.
    traffic.setTargets([node(1).http])
    await cluster.kill(0)
    const status = page.locator('[data-testid="connection-status"][data-tone="bad"]')
    await status.waitFor({ timeout: 10_000 })
    expect(await status.textContent()).toContain('Node unreachable')
    await page.getByTestId('cluster-stale').waitFor({ timeout: 5000 })
    expect(await admin.memberState('n3')).toBe('down')
    await admin.screenshot('live-cluster-unreachable')

    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true)
    expect(pageErrors).toEqual([])
  })
})
