// Suite `gossip`: the measured cluster's gossip under fixed-rate load, level by level (--gossip-rates, req/s per
// node). Load comes from 64 client addresses over the Meli path mix, so `per-ip`-style rules touch many keys per
// gossip interval, as real traffic does. For each level, from every node's admin API:
//   - gossip bytes per second in and out (the node's own totals, `members[self].gossip`, read before and after);
//   - delta propagation lag p50/p99 per peer (`members[].lagMs`: frame send → apply, over the node's last 1,024
//     delta frames — the level lasts long enough that they all come from it; the table says when not).
// Rates the client could not reach (CPU-bound proxy or client) are reported as achieved, not as asked.
import type { BenchContext } from '../lib/bench-context.js'
import { clusterView, metricSum, type ClusterView } from '../lib/admin-client.js'
import { runPacedLoad, type PacedStreamResult } from '../lib/paced-client.js'
import { median, withCpu, type CpuMeasured } from '../lib/rounds.js'
import { fmtBytes, fmtInt, fmtNum, type SuiteResult } from '../lib/suite-report.js'
import { lineChartSvg } from '../lib/svg-chart.js'
import { MELI_PATHS } from './origin-vs-nginx.js'

/** 127.0.0.2 … 127.0.0.65 */
export const MANY_SOURCES = Array.from({ length: 64 }, (_, i) => `127.0.0.${i + 2}`)

/** The node keeps this many lag samples per peer (gossip/constants.ts LAG_SAMPLES). */
const LAG_SAMPLES = 1024

export interface GossipLevel {
  ratePerNode: number
  achievedPerNode: number
  bytesOutPerNodePerSec: number
  bytesInPerNodePerSec: number
  /** Delta frames each node received during the level (mean over nodes). */
  framesInPerNode: number
  lagSamplesFromLevel: boolean
  lag: Array<{ node: string; peer: string; p50: number; p99: number }>
  lagP50: number
  lagP99: number
  client: PacedStreamResult
  cpuUsPerRequest: number | undefined
  /** The nodes' CPU time and run-queue wait per second, summed over nodes. */
  coresUsed: number | undefined
  coresWaiting: number | undefined
}

export async function runGossipSuite(ctx: BenchContext): Promise<SuiteResult> {
  const started = Date.now()
  const o = ctx.options
  const notes: string[] = []
  const cluster = await ctx.cluster()
  const n = cluster.nodes.length
  const levels: GossipLevel[] = []
  if (n < 2) notes.push('one node: there is no gossip to measure (use --nodes 2 or more)')
  else {
    await ctx.pinSelf()
    for (const rate of o.gossipRates) {
      process.stderr.write(`gossip: ${fmtInt(rate)} req/s per node on ${n} nodes for ${o.gossipDurationSec} s\n`)
      const before = await Promise.all(cluster.nodes.map((x) => clusterView(x, cluster.token)))
      const framesBefore = await Promise.all(cluster.nodes.map((x) => metricSum(x, cluster.token, 'meliproxy_gossip_frames_total', { direction: 'in' })))
      const run = await withCpu(
        cluster.pids(),
        (r) => r.completed,
        async () =>
          (
            await runPacedLoad({
              targets: cluster.nodes.map((x) => x.http),
              streams: [{ name: 'mix', rate: rate * n, paths: MELI_PATHS }],
              durationMs: o.gossipDurationSec * 1000,
              sourceAddresses: MANY_SOURCES,
              connectionsPerPool: 2,
              label: `gossip ${fmtInt(rate)}/node`,
            })
          ).streams[0]!,
      )
      const after = await Promise.all(cluster.nodes.map((x) => clusterView(x, cluster.token)))
      const framesAfter = await Promise.all(cluster.nodes.map((x) => metricSum(x, cluster.token, 'meliproxy_gossip_frames_total', { direction: 'in' })))
      cluster.assertAlive()
      levels.push(level(rate, n, o.gossipDurationSec, before, after, framesBefore, framesAfter, run))
      const l = levels.at(-1)!
      process.stderr.write(`  achieved ${fmtInt(l.achievedPerNode)} req/s per node; gossip out ${fmtBytes(l.bytesOutPerNodePerSec)}/s per node; lag p50 ${fmtNum(l.lagP50)} ms, p99 ${fmtNum(l.lagP99)} ms\n`)
    }
  }
  const headline =
    levels.length === 0
      ? []
      : [
          `Gossip between ${n} real nodes under load: ${levels
            .map((l) => `${fmtInt(l.ratePerNode)} req/s per node (achieved ${fmtInt(l.achievedPerNode)}): ${fmtBytes(l.bytesOutPerNodePerSec)}/s out per node, lag p50 ${fmtNum(l.lagP50)} ms / p99 ${fmtNum(l.lagP99)} ms`)
            .join('; ')} (\`gossip\`).`,
        ]
  if (levels.some((l) => !l.lagSamplesFromLevel)) notes.push(`a level marked "no" received fewer than ${LAG_SAMPLES} delta frames per peer: part of its lag samples come from before it`)
  notes.push('gossip bytes are what the node counts on its libp2p streams (frames with their envelopes; Noise and Yamux overhead below that is not counted)')
  return {
    suite: 'gossip',
    title: 'Gossip under load (real nodes)',
    startedAt: new Date(started).toISOString(),
    durationSec: (Date.now() - started) / 1000,
    settings: { nodes: n, durationSec: o.gossipDurationSec, rates: o.gossipRates.join(','), sources: MANY_SOURCES.length, gossipIntervalMs: Number(ctx.config.gossip.intervalMs ?? 20), rules: ctx.rules().length },
    tables: [
      {
        title: `${n} nodes, fixed-rate load from ${MANY_SOURCES.length} client addresses, ${o.gossipDurationSec} s per level`,
        columns: ['req/s per node (asked)', 'achieved per node', 'gossip out B/s per node', 'gossip in B/s per node', 'frames in per node', 'lag samples all from level', 'lag p50 ms (median of peers)', 'lag p99 ms (worst peer)', 'client p99 ms', 'errors', 'node CPU µs/req', 'node cores used', 'node cores waiting'],
        rows: levels.map((l) => [fmtInt(l.ratePerNode), fmtInt(l.achievedPerNode), fmtInt(l.bytesOutPerNodePerSec), fmtInt(l.bytesInPerNodePerSec), fmtInt(l.framesInPerNode), l.lagSamplesFromLevel ? 'yes' : 'no', fmtNum(l.lagP50), fmtNum(l.lagP99), fmtNum(l.client.latencyMs.p99), fmtInt(l.client.errors + l.client.skipped), fmtNum(l.cpuUsPerRequest, 1), fmtNum(l.coresUsed), fmtNum(l.coresWaiting)]),
        note: 'lag = time from a delta frame\'s send on one node to its application on another (the node\'s own measure, members[].lagMs of GET /api/v1/cluster). errors = connection errors, timeouts and requests the client skipped at its in-flight cap. Node cores used/waiting: summed over the nodes, all pinned to one CPU.',
      },
    ],
    charts:
      levels.length === 0
        ? []
        : [
            {
              file: 'gossip-bytes.svg',
              title: 'gossip bytes per node per second',
              svg: lineChartSvg('Gossip bytes out per node per second', 'req/s per node (achieved)', 'B/s', [{ name: 'bytes out per node per second', points: levels.map((l) => [l.achievedPerNode, l.bytesOutPerNodePerSec] as const) }]),
            },
          ],
    notes,
    headline,
    data: { nodes: n, levels },
  }
}

function level(rate: number, n: number, seconds: number, before: ClusterView[], after: ClusterView[], framesBefore: number[], framesAfter: number[], run: CpuMeasured<PacedStreamResult>): GossipLevel {
  const client = run.value
  const selfBytes = (v: ClusterView): { bytesIn: number; bytesOut: number } => v.members.find((m) => m.id === v.self)!.gossip
  let out = 0
  let inn = 0
  for (let i = 0; i < n; i++) {
    out += selfBytes(after[i]!).bytesOut - selfBytes(before[i]!).bytesOut
    inn += selfBytes(after[i]!).bytesIn - selfBytes(before[i]!).bytesIn
  }
  const lag = after.flatMap((v) => v.members.filter((m) => m.id !== v.self && m.lagMs !== null).map((m) => ({ node: v.self, peer: m.id, p50: m.lagMs!.p50, p99: m.lagMs!.p99 })))
  const framesIn = framesAfter.map((f, i) => f - framesBefore[i]!)
  return {
    ratePerNode: rate,
    achievedPerNode: (client.admitted + client.limited) / seconds / n,
    bytesOutPerNodePerSec: out / n / seconds,
    bytesInPerNodePerSec: inn / n / seconds,
    framesInPerNode: framesIn.reduce((a, b) => a + b, 0) / n,
    // Frames from every peer land in one counter: a node hears (n − 1) peers.
    lagSamplesFromLevel: framesIn.every((f) => f / Math.max(1, n - 1) >= LAG_SAMPLES),
    lag,
    lagP50: lag.length === 0 ? NaN : median(lag.map((l) => l.p50)),
    lagP99: lag.length === 0 ? NaN : Math.max(...lag.map((l) => l.p99)),
    client,
    cpuUsPerRequest: run.cpuUsPerRequest,
    coresUsed: run.cpuSeconds === undefined ? undefined : run.cpuSeconds / seconds,
    coresWaiting: run.waitSeconds === undefined ? undefined : run.waitSeconds / seconds,
  }
}
