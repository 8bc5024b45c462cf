// Micro-benchmark of the hot-path calls: ns per record(), recordRule(), recordLimitedKey(), on a real NodeStats
// (LMDB in a temp dir, default 1 s flush running). Run: npx tsx node/stats/bench-record.ts
// Prints one line per case and a JSON summary. Timing lives here, never in unit tests.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PerformanceObserver } from 'node:perf_hooks'
import { NodeStats } from './node-stats.js'
import type { Outcome } from './outcome.js'

const N = 5_000_000
const ROUNDS = 7
const silent = { info() {}, warn() {}, error() {} }

// Precomputed inputs so the loop measures the calls, not input generation.
const POOL = 4096
const outcomes: Outcome[] = []
const statuses: number[] = []
const totals: number[] = []
const upstreams: number[] = []
const keys: string[] = []
for (let i = 0; i < POOL; i++) {
  const r = (i * 2654435761) % 1000
  const o: Outcome = r < 900 ? 'ok2xx' : r < 950 ? 'limited429' : r < 980 ? 'notFound404' : r < 995 ? 'clientError4xx' : 'serverError5xx'
  outcomes.push(o)
  statuses.push(o === 'ok2xx' ? 200 : o === 'limited429' ? 429 : o === 'notFound404' ? 404 : o === 'clientError4xx' ? 400 : 503)
  const total = 200 + ((i * 7919) % 50_000)
  totals.push(total)
  upstreams.push(Math.floor(total * 0.9))
  keys.push(`ip=10.0.${(i * 31) % 256}.${(i * 17) % 256}`)
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]!
}

function time(fn: () => void): number {
  const t0 = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - t0) / N
}

const dir = mkdtempSync(join(tmpdir(), 'meliproxy-bench-record-'))
const stats = await NodeStats.open({
  nodeId: 'bench',
  nodeName: 'n1',
  dataDir: dir,
  retention: { minutesMs: 48 * 3_600_000, hoursMs: 7 * 24 * 3_600_000 },
  logger: silent,
})

const cases: Record<string, () => void> = {
  'record()': () => {
    for (let i = 0; i < N; i++) {
      const j = i & (POOL - 1)
      stats.record(outcomes[j]!, statuses[j]!, 320, 1400, totals[j]!, upstreams[j]!)
    }
  },
  'recordRule() (3 rules)': () => {
    for (let i = 0; i < N; i++) stats.recordRule(i % 3 === 0 ? 'ip-1000' : i % 3 === 1 ? 'path-categories' : 'ip-items-10', (i & 15) !== 0)
  },
  'recordLimitedKey() (4096 keys, capacity 100)': () => {
    for (let i = 0; i < N; i++) stats.recordLimitedKey('ip-1000', keys[(i * i) & (POOL - 1)]!)
  },
  'baseline: empty loop with the same input loads': () => {
    let x = 0
    for (let i = 0; i < N; i++) {
      const j = i & (POOL - 1)
      x += totals[j]! + upstreams[j]! + statuses[j]!
    }
    if (x === -1) console.log(x)
  },
}

// Garbage collections during a timed round say whether the calls allocate (a scavenge follows ~1-16 MB of
// allocation). GC entries are delivered asynchronously, so they are counted after each round.
let gcs = 0
const gcObserver = new PerformanceObserver((list) => {
  gcs += list.getEntries().length
})
gcObserver.observe({ entryTypes: ['gc'] })
const tick = () => new Promise((res) => setTimeout(res, 5))

const results: Record<string, number> = {}
const gcPerRound: Record<string, number> = {}
for (const [name, fn] of Object.entries(cases)) {
  fn() // warm-up (JIT)
  await tick()
  const runs: number[] = []
  gcs = 0
  for (let r = 0; r < ROUNDS; r++) {
    runs.push(time(fn))
    // let the 1 s flush timer run between rounds, as it would in production
    await tick()
  }
  results[name] = median(runs)
  gcPerRound[name] = gcs / ROUNDS
  console.log(`${name.padEnd(48)} ${median(runs).toFixed(1).padStart(7)} ns/call (median of ${ROUNDS} × ${N.toLocaleString('en')}; min ${Math.min(...runs).toFixed(1)}, max ${Math.max(...runs).toFixed(1)}); GCs per round ${(gcs / ROUNDS).toFixed(1)}`)
}
gcObserver.disconnect()
await stats.close()
rmSync(dir, { recursive: true, force: true })
console.log(JSON.stringify({ bench: 'node-stats-record', node: process.version, nsPerCall: results, gcPerRound }))
