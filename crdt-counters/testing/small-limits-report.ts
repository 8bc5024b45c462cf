// Small limits under one sequential client, measured on the simulated network.
//
//   npx tsx crdt-counters/testing/small-limits-report.ts [--seeds N] [--requests N] [--json]
//
// One client sends `requests` requests one at a time (a request every 2, 20 or 200 ms), either round robin over
// all the nodes or pinned to one node (the last one, which loses every tie broken by node id), against a 5/min or
// 10/min key, on 2, 3, 4 and 8 nodes, gossip every 20 or 100 ms (1 ms latency, up to 2 ms jitter), all from a cold
// start and inside one window. Each cell runs every seed (seeds move the nodes' gossip ticks) and reports:
//   admitted    = min–max over seeds of what the cluster admitted (a single exact limiter admits exactly the limit)
//   false 429s  = rejections while the true cluster-wide count was below the limit, summed over seeds
//   first at    = the lowest true count at which one of them happened ('-' when none)
// Twice: without and with the node's urgent flush (an admission that leaves a key within 32 of its limit sends the
// deltas at once, so peers see it after the link latency instead of at the next tick).
import { createPrng } from './prng.js'
import { SimulatedNetwork, type SimulationReport } from './simulated-network.js'

const WINDOW_MS = 60_000

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(name)
  return at !== -1 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback
}

const seeds = Number(arg('--seeds', '5'))
const policy = JSON.parse(arg('--policy', '{}')) as Record<string, unknown>
const requests = Number(arg('--requests', '40'))

interface Cell {
  urgentFlush: boolean
  limit: number
  gossipMs: number
  pattern: 'round robin' | 'pinned'
  everyMs: number
  nodes: number
  admittedMin: number
  admittedMax: number
  over: number
  falseRejections: number
  firstFalseAt: number
}

/** 0..n-1 in a seeded order: the client's round robin should not follow the node ids (the split breaks ties by id). */
function shuffled(n: number, seed: number): number[] {
  const rng = createPrng(seed * 7919)
  const out = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const t = out[i]!
    out[i] = out[j]!
    out[j] = t
  }
  return out
}

const cells: Cell[] = []
for (const urgentFlush of [false, true]) {
  for (const limit of [5, 10]) {
    for (const gossipMs of [20, 100]) {
      for (const pattern of ['round robin', 'pinned'] as const) {
        for (const everyMs of [2, 20, 200]) {
          for (const nodes of [2, 3, 4, 8]) {
            const reports: SimulationReport[] = []
            for (let seed = 1; seed <= seeds; seed++) {
              const sim = new SimulatedNetwork({
                seed,
                nodes,
                rules: [{ key: 'k', limit, windowMs: WINDOW_MS }],
                traffic: [
                  {
                    kind: 'sequence',
                    nodes: pattern === 'pinned' ? [nodes - 1] : shuffled(nodes, seed),
                    count: requests,
                    at: 0,
                    everyMs,
                  },
                ],
                durationMs: requests * everyMs + 1000,
                // 5 s into a window: the whole run falls in one window.
                startMs: Math.ceil(1.7e12 / WINDOW_MS) * WINDOW_MS + 5000,
                gossipIntervalMs: gossipMs,
                latencyMs: 1,
                jitterMs: 2,
                urgentFlushWithin: urgentFlush ? 32 : 0,
                falseRejectBelow: 1,
                counters: { splitPolicy: policy },
              })
              reports.push(sim.run())
            }
            const admitted = reports.map((r) => r.admittedTotal)
            cells.push({
              urgentFlush,
              limit,
              gossipMs,
              pattern,
              everyMs,
              nodes,
              admittedMin: Math.min(...admitted),
              admittedMax: Math.max(...admitted),
              over: Math.max(0, ...admitted.map((a) => a - limit)),
              falseRejections: reports.reduce((s, r) => s + r.falseRejections, 0),
              firstFalseAt: Math.min(...reports.map((r) => r.firstFalseRejectionAt)),
            })
          }
        }
      }
    }
  }
}

console.log(`${seeds} seeds per cell, ${requests} sequential requests per run; cell = admitted min–max / false 429s (lowest true count at one)\n`)
for (const urgentFlush of [false, true]) {
  console.log(`\n${urgentFlush ? 'With' : 'Without'} the urgent flush\n`)
  console.log('| limit | gossip | client | every | 2 nodes | 3 nodes | 4 nodes | 8 nodes |')
  console.log('|---|---|---|---|---|---|---|---|')
  const rows = new Map<string, Cell[]>()
  for (const c of cells.filter((x) => x.urgentFlush === urgentFlush)) {
    const id = `${c.limit}|${c.gossipMs}|${c.pattern}|${c.everyMs}`
    const row = rows.get(id) ?? []
    row.push(c)
    rows.set(id, row)
  }
  for (const row of rows.values()) {
    const c0 = row[0]!
    const text = row.map(
      (c) =>
        `${c.admittedMin === c.admittedMax ? c.admittedMin : `${c.admittedMin}–${c.admittedMax}`} / ${c.falseRejections}` +
        (c.falseRejections > 0 ? ` (${c.firstFalseAt.toFixed(0)})` : ''),
    )
    console.log(`| ${c0.limit}/min | ${c0.gossipMs} ms | ${c0.pattern} | ${c0.everyMs} ms | ${text.join(' | ')} |`)
  }
}
const total = (f: (c: Cell) => boolean) => cells.filter(f).reduce((s, c) => s + c.falseRejections, 0)
console.log(
  `\nfalse 429s in total: ${total(() => true)} (round robin ${total((c) => c.pattern === 'round robin')}, pinned ${total((c) => c.pattern === 'pinned')}); ` +
    `worst over-admission: ${Math.max(...cells.map((c) => c.over))}; ` +
    `cells short of the limit: ${cells.filter((c) => c.admittedMin < c.limit).length} of ${cells.length}`,
)
if (process.argv.includes('--json')) console.log(`\n${JSON.stringify(cells)}`)
