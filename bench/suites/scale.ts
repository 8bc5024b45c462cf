// Suite `scale`: the real crdt-counters code on a simulated network (crdt-counters/testing) as the cluster grows
// (--scale-nodes, 2 … 128), at a fixed cluster-wide demand of 50,000 req/s (quick: 5,000), uniform and skewed
// (see bench/lib/scale-cell.ts for the workload). It reports over-admission of a key held at its limit and the
// gossip bytes each node sends per second, then sizes the cluster for 50,000 req/s from the per-node throughput
// the `throughput` suite measured (or --per-node-rps, or the latest throughput.json under the results directory).
//
// Simulated gossip bytes are the encoded counter frames (what crdt-counters' codec produces), without libp2p's
// envelope, Noise and Yamux overhead; the `gossip` suite measures real bytes on real nodes.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { BenchContext } from '../lib/bench-context.js'
import { defaultResultsDir } from '../lib/report.js'
import type { ScaleCellParams, ScaleCellResult } from '../lib/scale-cell.js'
import { runScaleCells } from '../lib/scale-runner.js'
import { fmtBytes, fmtInt, fmtNum, fmtPct, type SuiteResult } from '../lib/suite-report.js'
import { lineChartSvg } from '../lib/svg-chart.js'
import type { ThroughputData } from './throughput.js'

export const TARGET_RPS = 50_000

export interface ScaleData {
  cells: ScaleCellResult[]
  perNodeRps: number | undefined
  perNodeRpsSource: string
  nodesFor50k: number | undefined
  bytesAtNodesFor50k: number | undefined
}

/** The newest throughput.json under `dir` (bench/results/<timestamp>/), if any. */
function latestMeasuredPerCore(dir: string): { rps: number; file: string } | undefined {
  let entries: string[]
  try {
    entries = readdirSync(dir)
  } catch {
    return undefined
  }
  const candidates = entries
    .map((e) => join(dir, e, 'throughput.json'))
    .filter((f) => {
      try {
        return statSync(f).isFile()
      } catch {
        return false
      }
    })
    .sort()
  for (const file of candidates.reverse()) {
    try {
      const suite = JSON.parse(readFileSync(file, 'utf8')) as { data?: ThroughputData }
      const rps = suite.data?.closed[0]?.rpsPerCore
      if (typeof rps === 'number' && rps > 0) return { rps, file }
    } catch {
      // not a throughput result we can read; try an older one
    }
  }
  return undefined
}

/** Gossip bytes at `nodes`, interpolated on log2(nodes) between the simulated sizes around it (undefined outside them). */
export function bytesAt(cells: readonly ScaleCellResult[], nodes: number): number | undefined {
  const pts = cells.filter((c) => c.params.load === 'uniform').map((c) => [c.params.nodes, c.gossipBytesPerNodePerSec] as const).sort((a, b) => a[0] - b[0])
  for (let i = 0; i < pts.length; i++) {
    const [x, y] = pts[i]!
    if (x === nodes) return y
    const next = pts[i + 1]
    if (next !== undefined && x < nodes && nodes < next[0]) {
      const f = (Math.log2(nodes) - Math.log2(x)) / (Math.log2(next[0]) - Math.log2(x))
      return y + f * (next[1] - y)
    }
  }
  return undefined
}

export async function runScaleSuite(ctx: BenchContext): Promise<SuiteResult> {
  const started = Date.now()
  const o = ctx.options
  const quick = o.quick
  const base: Omit<ScaleCellParams, 'nodes' | 'load'> = {
    seed: 1,
    demandRps: quick ? 5000 : TARGET_RPS,
    hotShare: 0.1,
    backgroundKeys: quick ? 100 : 1000,
    // Short windows keep 128 simulated nodes (~800,000 frame deliveries per simulated second) to a few minutes; the
    // limit scales with the window, so a short window is the harsher test of over-admission.
    windowMs: quick ? 2000 : 3000,
    windows: 2,
    gossipIntervalMs: Number(ctx.config.gossip.intervalMs ?? 20),
    latencyMs: 1,
    jitterMs: 2,
    gossipDelayMs: 2 * Number(ctx.config.gossip.intervalMs ?? 20),
  }
  const cells: ScaleCellParams[] = o.scaleNodes.flatMap((nodes) => (['uniform', 'skewed'] as const).map((load) => ({ ...base, nodes, load })))
  // Nothing is being measured now: give the simulation every core.
  await ctx.unpinSelf()
  const parallel = quick ? 1 : Math.max(1, availableParallelism())
  process.stderr.write(`scale: ${cells.length} simulations (${o.scaleNodes.join(', ')} nodes × uniform, skewed) at ${fmtInt(base.demandRps)} req/s, ${parallel} at a time\n`)
  const results = await runScaleCells(cells, parallel, (r) =>
    process.stderr.write(`  ${r.params.nodes} nodes ${r.params.load}: over ${r.overAdmission}, gossip ${fmtBytes(r.gossipBytesPerNodePerSec)}/s per node (${(r.wallMs / 1000).toFixed(1)} s)\n`),
  )

  let perNodeRps = o.perNodeRps
  let source = '--per-node-rps'
  if (perNodeRps === undefined && ctx.shared.meliproxyRpsPerCore !== undefined) {
    perNodeRps = ctx.shared.meliproxyRpsPerCore
    source = 'meliproxy req/s per core, measured by `throughput` in this run'
  }
  if (perNodeRps === undefined) {
    const latest = latestMeasuredPerCore(o.resultsDir ?? defaultResultsDir())
    if (latest !== undefined) {
      perNodeRps = latest.rps
      source = `meliproxy req/s per core from ${latest.file}`
    } else source = 'none: run the throughput suite too, or give --per-node-rps'
  }
  const nodesFor50k = perNodeRps === undefined ? undefined : Math.ceil(TARGET_RPS / perNodeRps)
  const data: ScaleData = { cells: results, perNodeRps, perNodeRpsSource: source, nodesFor50k, bytesAtNodesFor50k: nodesFor50k === undefined ? undefined : bytesAt(results, nodesFor50k) }

  const uniform = results.filter((r) => r.params.load === 'uniform')
  const headline: string[] = []
  const quoted = [2, 8, 32, 128].map((k) => uniform.find((r) => r.params.nodes === k)).filter((r): r is ScaleCellResult => r !== undefined)
  if (quoted.length > 0) {
    headline.push(
      `Scale simulation at ${fmtInt(base.demandRps)} req/s: gossip bytes per node per second ${quoted.map((r) => `${r.params.nodes} nodes ${fmtBytes(r.gossipBytesPerNodePerSec)}`).join(', ')}; ` +
        `worst over-admission of a key at its limit ${fmtPct(Math.max(...results.map((r) => r.overAdmission / r.hotLimit)))} of the limit over every size and load shape (\`scale\`).`,
    )
  }
  if (nodesFor50k !== undefined) {
    headline.push(`Nodes for 50,000 req/s: ${fmtInt(nodesFor50k)} at ${fmtInt(perNodeRps)} req/s per node (one core each; ${source}); simulated gossip at that size ≈ ${fmtBytes(data.bytesAtNodesFor50k)}/s per node (\`scale\`).`)
  }
  return {
    suite: 'scale',
    title: 'Scale simulation (crdt-counters on a simulated network)',
    startedAt: new Date(started).toISOString(),
    durationSec: (Date.now() - started) / 1000,
    settings: { demandRps: base.demandRps, hotShare: base.hotShare, backgroundKeys: base.backgroundKeys, windowMs: base.windowMs, windows: base.windows, gossipIntervalMs: base.gossipIntervalMs, latencyMs: base.latencyMs, jitterMs: base.jitterMs, seed: base.seed },
    tables: [
      {
        title: `${fmtInt(base.demandRps)} req/s over the cluster; hot key takes ${fmtPct(base.hotShare, 0)} of it at twice its limit; ${fmtInt(base.backgroundKeys)} other keys; ${base.windows} windows of ${base.windowMs / 1000} s`,
        columns: ['nodes', 'load', 'req/s per node', 'hot key admitted per window', 'limit', 'over-admission', 'under vs exact limiter', 'false 429s', 'gossip B/s per node', 'frames/s per node', 'simulation s'],
        rows: results.map((r) => [
          fmtInt(r.params.nodes),
          r.params.load,
          fmtInt(r.params.demandRps / r.params.nodes),
          r.hotWindows.map((w) => fmtInt(w.admitted)).join(', '),
          fmtInt(r.hotLimit),
          `${fmtInt(r.overAdmission)} (${fmtPct(r.overAdmission / r.hotLimit)})`,
          `${fmtInt(r.underAdmission)} (${fmtPct(r.underAdmission / r.hotLimit)})`,
          fmtInt(r.falseRejections),
          fmtInt(r.gossipBytesPerNodePerSec),
          fmtInt(r.framesPerNodePerSec),
          fmtNum(r.wallMs / 1000, 1),
        ]),
        note: 'skewed: node 1 takes 80% of the demand. Gossip bytes: encoded counter frames (deltas and per-tick heartbeats) a node sends to all its peers, mean over nodes; full mesh.',
      },
      {
        title: 'Cluster size for 50,000 req/s',
        columns: ['per-node req/s', 'source', 'nodes needed', 'simulated gossip B/s per node at that size'],
        rows: [[fmtInt(perNodeRps), source, fmtInt(nodesFor50k), fmtInt(data.bytesAtNodesFor50k)]],
        note: 'nodes needed = ceil(50,000 ÷ per-node req/s), one core per node; the per-node work of the hot path does not depend on cluster size, the gossip does (table above).',
      },
    ],
    charts: [
      {
        file: 'scale-gossip-bytes.svg',
        title: 'gossip bytes per node per second vs nodes',
        svg: lineChartSvg('Simulated gossip bytes per node per second', 'nodes', 'B/s', (['uniform', 'skewed'] as const).map((load) => ({ name: load, points: results.filter((r) => r.params.load === load).map((r) => [r.params.nodes, r.gossipBytesPerNodePerSec] as const) }))),
      },
    ],
    notes: ['budget split on (the node\'s default); 1 ms link latency with up to 2 ms jitter; seeded (seed 1), so a run replays exactly'],
    headline,
    data,
  }
}
