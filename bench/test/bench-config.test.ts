import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MAX_CONFIG_BYTES } from '../../node/config/load-config.js'
import { defaultBenchConfigFile, loadBenchConfig } from '../lib/bench-config.js'

const dir = mkdtempSync(join(tmpdir(), 'meliproxy-bench-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function file(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

const MINIMAL = `cluster: { name: b }
upstream: { url: http://127.0.0.1:9000, connections: 8 }
nodes:
  - { id: a, http: 127.0.0.1:1, admin: 127.0.0.1:2, p2p: 127.0.0.1:3, dataDir: ./a }
`

const config = { code: 'MELIPROXY_ERR_BENCH_CONFIG_INVALID' }

describe('loadBenchConfig', () => {
  it('reads the shipped bench config: two nodes, cluster.yml\'s four rule shapes at limits no load reaches', () => {
    const c = loadBenchConfig(defaultBenchConfigFile())
    expect(c.nodes).toBe(2)
    expect(c.rules.map((r) => r.id)).toEqual(['ip-152', 'categories', 'ip-152-items', 'per-ip'])
    for (const r of c.rules) expect(r.limit).toBe(100_000_000)
    expect(c.gossip).toMatchObject({ intervalMs: 20 })
    expect(c.upstream).toEqual({ connections: 64, timeoutMs: 10_000 })
    expect(c.ignored).toEqual([])
  })

  it('keeps the settings as written, without the upstream url the benchmark replaces', () => {
    const c = loadBenchConfig(file('min.yml', `${MINIMAL}stats: { retention: 2d, flushIntervalMs: 500 }\nproxy: { maxInFlight: 50 }\n`))
    expect(c).toMatchObject({ nodes: 1, rules: [], gossip: {}, upstream: { connections: 8 }, stats: { retention: '2d', flushIntervalMs: 500 }, proxy: { maxInFlight: 50 }, trustedProxies: [] })
  })

  it('says which settings a bench cluster cannot carry', () => {
    const c = loadBenchConfig(file('policy.yml', MINIMAL.replace('cluster: { name: b }', 'cluster: { name: b, partitionPolicy: share }')))
    expect(c.ignored).toEqual([expect.stringContaining('cluster.partitionPolicy: share')])
  })

  it('refuses an invalid file with the node\'s own messages (field path, value, what is allowed)', () => {
    const bad = file('bad.yml', `${MINIMAL}rules:\n  - { id: r, limit: -5, per: minute }\n`)
    expect(() => loadBenchConfig(bad)).toThrow(expect.objectContaining({ ...config, message: expect.stringContaining('rules[0].limit: -5 is not a positive integer') }))
  })

  it('refuses a file over the cluster-file size limit without parsing it', () => {
    const big = file('big.yml', `${MINIMAL}#${'x'.repeat(MAX_CONFIG_BYTES)}\n`)
    expect(() => loadBenchConfig(big)).toThrow(expect.objectContaining({ ...config, message: expect.stringContaining(`larger than the ${MAX_CONFIG_BYTES}-byte limit`) }))
  })
})
