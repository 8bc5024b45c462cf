// Over- and under-admission of the budget split, measured on the simulated network.
//
//   npx tsx crdt-counters/testing/over-admission-report.ts [--seeds N] [--windows N] [--json]
//
// Steady table: limits 10 and 10,000 per minute; 2, 4 and 8 nodes; gossip every 20 and 100 ms (1 ms latency,
// up to 2 ms jitter); with and without the split; uniform load and skewed load (one node takes 80%); at two demand
// levels (2x the limit, and a hammering level). Each cell runs `windows` windows from a cold start (rates unknown)
// for every seed and reports the worst window of any seed:
//   over  = admitted in a window - limit                (what the cluster let through beyond the limit)
//   under = central reference - admitted in a window    (what a single exact limiter would have admitted more)
//   false 429s = rejections while the true cluster-wide estimate was below half the limit
// Cold table: every node hammers a key at once from a cold start (the cluster acceptance scenarios).
import { SimulatedNetwork, skewedLoad, uniformLoad, type SimulationReport, type Traffic } from './simulated-network.js'

interface Row {
  table: 'steady' | 'cold'
  scenario: string
  limit: number
  nodes: number
  gossipMs: number
  split: boolean
  load: string
  demand: string
  admittedMin: number
  admittedMax: number
  over: number
  under: number
  falseRejections: number
  gossipBytesPerNodePerSec: number
}

const WINDOW_MS = 60_000

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(name)
  return at !== -1 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback
}

const seeds = Number(arg('--seeds', '3'))
const windows = Number(arg('--windows', '3'))

function runSeeds(make: (seed: number) => SimulatedNetwork, untilMs?: number): SimulationReport[] {
  const out: SimulationReport[] = []
  for (let seed = 1; seed <= seeds; seed++) out.push(make(seed).run(untilMs))
  return out
}

function pct(n: number, limit: number): string {
  return `${((100 * n) / limit).toFixed(2)}%`
}

const rows: Row[] = []

// ---- steady table ----
for (const limit of [10, 10_000]) {
  const demands: Array<[string, number]> =
    limit === 10
      ? [
          ['2x limit', (2 * limit) / 60],
          ['50 req/s', 50],
        ]
      : [
          ['2x limit', (2 * limit) / 60],
          ['2,000 req/s', 2000],
        ]
  for (const nodes of [2, 4, 8]) {
    for (const gossipMs of [20, 100]) {
      for (const split of [true, false]) {
        for (const load of ['uniform', 'skewed'] as const) {
          for (const [demand, rps] of demands) {
            const durationMs = windows * WINDOW_MS
            const reports = runSeeds(
              (seed) =>
                new SimulatedNetwork({
                  seed,
                  nodes,
                  rules: [{ key: 'k', limit, windowMs: WINDOW_MS }],
                  traffic:
                    load === 'uniform' ? uniformLoad(nodes, rps, 0, durationMs) : skewedLoad(nodes, rps, 0, durationMs, 0.8),
                  durationMs,
                  gossipIntervalMs: gossipMs,
                  latencyMs: 1,
                  jitterMs: 2,
                  budgetSplit: split,
                }),
            )
            let admittedMin = Infinity
            let admittedMax = -Infinity
            let over = 0
            let under = 0
            let falseRejections = 0
            let bytes = 0
            for (const r of reports) {
              for (const w of r.windows) {
                admittedMin = Math.min(admittedMin, w.admitted)
                admittedMax = Math.max(admittedMax, w.admitted)
              }
              over = Math.max(over, r.overAdmission)
              under = Math.max(under, r.underAdmission)
              falseRejections += r.falseRejections
              bytes = Math.max(bytes, r.gossipBytesPerNodePerSec)
            }
            rows.push({
              table: 'steady',
              scenario: `${limit}/min`,
              limit,
              nodes,
              gossipMs,
              split,
              load,
              demand,
              admittedMin,
              admittedMax,
              over,
              under,
              falseRejections,
              gossipBytesPerNodePerSec: bytes,
            })
          }
        }
      }
    }
  }
}

// ---- cold table: every node hammers at once from a cold start ----
function hammer(nodes: number, total: number, spreadMs: number, skewed: boolean): Traffic[] {
  return Array.from({ length: nodes }, (_, node) => {
    const share = skewed ? (node === 0 ? 0.8 : 0.2 / (nodes - 1)) : 1 / nodes
    return { kind: 'burst' as const, node, count: Math.round(total * share), at: 0, spreadMs }
  })
}
const coldCases: Array<[string, number, number, number, number]> = [
  // name, limit, nodes, total requests, spread ms
  ['10/min, 300 requests in 200 ms', 10, 3, 300, 200],
  ['300/min, 900 requests in 1 s', 300, 3, 900, 1000],
  ['300/min, 900 requests in 10 s', 300, 3, 900, 10_000],
  ['10,000/min, 30,000 requests in 3 s', 10_000, 3, 30_000, 3000],
  ['10,000/min, 40,000 requests in 1 s', 10_000, 8, 40_000, 1000],
]
for (const [scenario, limit, nodes, total, spreadMs] of coldCases) {
  for (const gossipMs of [20, 100]) {
    for (const split of [true, false]) {
      for (const skewed of [false, true]) {
        const durationMs = spreadMs + 2000
        const reports = runSeeds(
          (seed) =>
            new SimulatedNetwork({
              seed,
              nodes,
              rules: [{ key: 'k', limit, windowMs: WINDOW_MS }],
              traffic: hammer(nodes, total, spreadMs, skewed),
              durationMs,
              // Start 5 s into a window so the whole burst falls in one window.
              startMs: Math.ceil(1.7e12 / WINDOW_MS) * WINDOW_MS + 5000,
              gossipIntervalMs: gossipMs,
              latencyMs: 1,
              jitterMs: 2,
              budgetSplit: split,
            }),
        )
        const admitted = reports.map((r) => r.admittedTotal)
        rows.push({
          table: 'cold',
          scenario,
          limit,
          nodes,
          gossipMs,
          split,
          load: skewed ? 'skewed' : 'uniform',
          demand: `${total} total`,
          admittedMin: Math.min(...admitted),
          admittedMax: Math.max(...admitted),
          over: Math.max(0, ...admitted.map((a) => a - limit)),
          under: Math.max(0, ...reports.map((r) => r.referenceTotal - r.admittedTotal)),
          falseRejections: reports.reduce((s, r) => s + r.falseRejections, 0),
          gossipBytesPerNodePerSec: Math.max(...reports.map((r) => r.gossipBytesPerNodePerSec)),
        })
      }
    }
  }
}

// ---- print ----
console.log(`seeds per cell: ${seeds}; steady runs: ${windows} windows of 60 s from a cold start; worst window of any seed\n`)
console.log('| limit | nodes | gossip | split | load | demand | admitted/window | over (% of limit) | under vs central (% of limit) | false 429s | gossip B/node/s |')
console.log('|---|---|---|---|---|---|---|---|---|---|---|')
for (const r of rows.filter((x) => x.table === 'steady')) {
  console.log(
    `| ${r.scenario} | ${r.nodes} | ${r.gossipMs} ms | ${r.split ? 'yes' : 'no'} | ${r.load} | ${r.demand} | ` +
      `${r.admittedMin}–${r.admittedMax} | ${r.over} (${pct(r.over, r.limit)}) | ${r.under} (${pct(r.under, r.limit)}) | ${r.falseRejections} | ${r.gossipBytesPerNodePerSec.toFixed(0)} |`,
  )
}
console.log('\nCold start, every node hammering at once (admitted in total; the burst falls in one window)\n')
console.log('| scenario | nodes | gossip | split | load | admitted | over | under vs central | false 429s |')
console.log('|---|---|---|---|---|---|---|---|---|')
for (const r of rows.filter((x) => x.table === 'cold')) {
  console.log(
    `| ${r.scenario} | ${r.nodes} | ${r.gossipMs} ms | ${r.split ? 'yes' : 'no'} | ${r.load} | ${r.admittedMin}–${r.admittedMax} | ` +
      `${r.over} (${pct(r.over, r.limit)}) | ${r.under} (${pct(r.under, r.limit)}) | ${r.falseRejections} |`,
  )
}
if (process.argv.includes('--json')) {
  // Machine-readable copy on stdout after the tables (crdt-counters does no I/O of its own; redirect to keep it).
  console.log(`\n${JSON.stringify(rows)}`)
}
