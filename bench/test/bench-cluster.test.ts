// Real nodes started the way the suites start them (needs `npm run build`): the bench config's rules are in force,
// every node is pinned, and "stats off" really records nothing while a normal node records every request.
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startOrigin, type Origin } from '../../node/origin/index.js'
import { waitFor } from '../../node/testing/test-cluster.js'
import { ruleCountsPerMinute, ruleIds } from '../lib/admin-client.js'
import { BenchCluster } from '../lib/bench-cluster.js'
import { defaultBenchConfigFile, loadBenchConfig } from '../lib/bench-config.js'
import { tasksetPath } from '../lib/cpu-pinning.js'

let origin: Origin
const clusters: BenchCluster[] = []

beforeAll(async () => {
  origin = await startOrigin({ port: 0 })
})

afterAll(async () => {
  await Promise.all(clusters.map((c) => c.close()))
  await origin.close()
})

async function statsTotal(c: BenchCluster): Promise<number> {
  const res = await fetch(`${c.nodes[0]!.admin}/api/v1/stats?resolution=minute`, { headers: { authorization: `Bearer ${c.token}` } })
  const body = (await res.json()) as { series: Array<{ buckets: Array<{ total: number }> }> }
  return body.series.flatMap((s) => s.buckets).reduce((sum, b) => sum + b.total, 0)
}

describe('BenchCluster', () => {
  it('starts pinned nodes with the bench config\'s rules; with stats off they record nothing', async () => {
    const config = loadBenchConfig(defaultBenchConfigFile())
    const pin = tasksetPath() !== undefined ? { cpus: '0' } : {}
    const [statsOn, statsOff] = await Promise.all([
      BenchCluster.start({ config, nodes: 1, upstream: origin.url, rules: config.rules, ...pin }),
      BenchCluster.start({ config, nodes: 1, upstream: origin.url, rules: config.rules, statsOff: true, ...pin }),
    ])
    clusters.push(statsOn, statsOff)
    for (const c of [statsOn, statsOff]) {
      expect(await ruleIds(c.nodes[0]!, c.token)).toEqual(['ip-152', 'categories', 'ip-152-items', 'per-ip'])
      if (tasksetPath() !== undefined) expect(execFileSync(tasksetPath()!, ['-c', '-p', String(c.nodes[0]!.pid)], { encoding: 'utf8' })).toMatch(/list: 0\s*$/)
      for (let i = 0; i < 20; i++) expect((await fetch(`${c.nodes[0]!.http}/categories/MLA97994`)).status).toBe(200)
    }
    await waitFor(async () => (await statsTotal(statsOn)) === 20, { timeoutMs: 5000, what: 'the stats-on node to count 20 requests' })
    expect(await statsTotal(statsOff)).toBe(0)
    // The accuracy suite's second opinion: each rule's admissions per minute, from the nodes' statistics.
    const now = Date.now()
    const { minutes, missing } = await ruleCountsPerMinute(statsOn.nodes[0]!, statsOn.token, now - 120_000, now + 60_000)
    expect(missing).toEqual([])
    const admitted = (rule: string): number => [...minutes.values()].reduce((sum, m) => sum + (m[rule]?.admitted ?? 0), 0)
    expect(admitted('categories')).toBe(20)
    expect(admitted('per-ip')).toBe(20)
    expect(admitted('ip-152')).toBe(0)
    statsOn.assertAlive()
    statsOff.assertAlive()
  })
})
