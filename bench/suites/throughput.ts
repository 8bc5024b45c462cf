// Suite `throughput`: meliproxy against nginx, in the same run, on the same core.
//
// Part 1, maximum throughput: the measured cluster (N nodes) and nginx (N workers, the bench config's rules as
// limit_req zones) are pinned to one CPU; the origin and the load generators (one closed-loop wrk or autocannon
// per node, the connections split between them) share the other. Rounds alternate (meliproxy, nginx, ...); each
// side is represented by its median round. Reported: req/s (total and per node), latency, errors, non-2xx, and the
// proxy processes' CPU µs per request from /proc, which gives req/s per fully used core — steadier than req/s on a
// shared machine.
//
// Part 2, added latency at fixed rates: the same origin alone, through meliproxy and through nginx, at each --rate
// (req/s over the cluster) from 16 client addresses (open loop, latency from when each request fell due),
// alternating rounds. The added latency is each proxy's percentile minus the origin's at the same rate.
import { processFamily } from '../lib/process-cpu.js'
import type { BenchCluster } from '../lib/bench-cluster.js'
import type { BenchContext } from '../lib/bench-context.js'
import type { Endpoint, MultiLoadResult } from '../lib/multi-load.js'
import { BenchOptionsError } from '../lib/errors.js'
import { startNginx, type RunningNginx } from '../lib/nginx.js'
import type { NginxLimitRule } from '../lib/nginx-config.js'
import { runPacedLoad, type PacedStreamResult } from '../lib/paced-client.js'
import { rulesToNginx } from '../lib/rules-to-nginx.js'
import { alternateRounds, medianDefined, medianItem, withCpu, type CpuMeasured } from '../lib/rounds.js'
import { fmtInt, fmtNum, type SuiteResult, type Table } from '../lib/suite-report.js'
import { barChartSvg } from '../lib/svg-chart.js'
import { MELI_PATHS } from './origin-vs-nginx.js'

/** Client addresses of the fixed-rate test: 127.0.0.2 … 127.0.0.17. */
export const LATENCY_SOURCES = Array.from({ length: 16 }, (_, i) => `127.0.0.${i + 2}`)

interface ClosedTarget {
  name: string
  endpoints: Endpoint[]
  pids: () => number[]
  runs: Array<CpuMeasured<MultiLoadResult>>
}

interface PacedTarget {
  name: string
  targets: string[]
  pids: () => number[]
  /** Per rate. */
  runs: Map<number, Array<CpuMeasured<PacedStreamResult>>>
}

export interface ThroughputData {
  nodes: number
  proxyCores: number
  closed: Array<{ name: string; median: MultiLoadResult; rounds: number[]; cpuUsPerRequest: number | undefined; coresUsed: number | undefined; coresWaiting: number | undefined; rpsPerCore: number; rpsPerFullCore: number | undefined }>
  paced: Array<{ name: string; rate: number; rounds: PacedStreamResult[]; p50: number; p99: number; p999: number; achievedRps: number; cpuUsPerRequest: number | undefined; addedP50: number | undefined; addedP99: number | undefined }>
  ratios: Record<string, number | undefined>
}

export async function runThroughputSuite(ctx: BenchContext): Promise<SuiteResult> {
  const started = Date.now()
  const o = ctx.options
  const notes: string[] = []
  const origin = await ctx.origin()
  const cluster: BenchCluster = await ctx.cluster()
  const n = cluster.nodes.length
  const proxyCores = ctx.split === undefined ? undefined : 1
  if (ctx.split !== undefined) notes.push(`proxies (every meliproxy node, every nginx worker) pinned to CPU ${ctx.split.server}; origin and load generators on CPU ${ctx.split.rest}`)
  else notes.push('nothing pinned: req/s per core is computed from CPU time only')

  let nginx: RunningNginx | undefined
  let stopNginx = async (): Promise<void> => {}
  let nginxLimits: NginxLimitRule[] | undefined
  try {
    nginxLimits = rulesToNginx(ctx.rules())
  } catch (err) {
    // Rules nginx cannot express: measure meliproxy alone rather than compare unlike work.
    if (!(err instanceof BenchOptionsError)) throw err
    notes.push(`nginx baseline skipped: ${err.message}`)
  }
  if (nginxLimits !== undefined) {
    const nginxStart = await startNginx({
      upstream: { host: '127.0.0.1', port: origin.port },
      workers: n,
      limits: nginxLimits,
      // An idle pool smaller than the client connections makes nginx reconnect to the origin under load.
      upstreamKeepalive: Math.max(64, o.connections),
      ...(ctx.split !== undefined ? { cpuAffinity: Array.from({ length: n }, () => Number(ctx.split!.server)) } : {}),
    })
    if (nginxStart.ok) {
      nginx = nginxStart.nginx
      stopNginx = ctx.track(() => nginxStart.nginx.stop())
    } else notes.push(`nginx baseline skipped: ${nginxStart.reason}: ${nginxStart.message}`)
  }

  try {
    await ctx.pinSelf()
    const closed: ClosedTarget[] = [{ name: `meliproxy (${n} node${n === 1 ? '' : 's'})`, endpoints: cluster.nodes.map((x) => ({ name: x.id, url: x.http })), pids: () => cluster.pids(), runs: [] }]
    if (nginx !== undefined) {
      const ng = nginx
      // One generator per worker, like one per node: the same number of load connections and generator processes.
      closed.push({ name: `nginx ${ng.version} (${n} worker${n === 1 ? '' : 's'})`, endpoints: Array.from({ length: n }, (_, i) => ({ name: `gen${i + 1}`, url: ng.url })), pids: () => processFamily(ng.pid), runs: [] })
    }
    const load = (t: ClosedTarget, durationSec: number, label: string): Promise<MultiLoadResult> => ctx.closedLoad(t.endpoints, durationSec, label)
    process.stderr.write(`throughput: ${closed.map((t) => t.name).join(' vs ')}, ${ctx.tool}, ${o.connections} connections, ${o.durationSec} s × ${o.rounds} round(s)\n`)
    if (o.warmupSec > 0) for (const t of closed) await load(t, o.warmupSec, `warm-up ${t.name}`)
    await alternateRounds(closed, o.rounds, async (t, round) => {
      const run = await withCpu(t.pids(), (r) => r.requests, () => load(t, o.durationSec, `${t.name} #${round}`))
      cluster.assertAlive()
      t.runs.push(run)
      process.stderr.write(`  round ${round} ${t.name}: ${fmtInt(run.value.requestsPerSec)} req/s, p99 ${fmtNum(run.value.latencyMs.p99)} ms, CPU ${fmtNum(run.cpuUsPerRequest, 1)} µs/req\n`)
    })

    const paced: PacedTarget[] = [
      { name: 'origin alone', targets: [origin.url], pids: () => [origin.pid], runs: new Map() },
      { name: closed[0]!.name, targets: cluster.nodes.map((x) => x.http), pids: () => cluster.pids(), runs: new Map() },
    ]
    if (nginx !== undefined) {
      const ng = nginx
      paced.push({ name: closed[1]!.name, targets: [ng.url], pids: () => processFamily(ng.pid), runs: new Map() })
    }
    for (const rate of o.rates) {
      process.stderr.write(`throughput: latency at a fixed ${fmtInt(rate)} req/s from ${LATENCY_SOURCES.length} client addresses, ${o.durationSec} s × ${o.rounds} round(s)\n`)
      await alternateRounds(paced, o.rounds, async (t, round) => {
        const run = await withCpu(
          t.pids(),
          (r) => r.completed,
          async () => {
            const r = await runPacedLoad({
              targets: t.targets,
              streams: [{ name: 'mix', rate, paths: MELI_PATHS }],
              durationMs: o.durationSec * 1000,
              sourceAddresses: LATENCY_SOURCES,
              connectionsPerPool: 2,
              label: `${t.name} @${rate} #${round}`,
            })
            return r.streams[0]!
          },
        )
        cluster.assertAlive()
        const runs = t.runs.get(rate) ?? []
        runs.push(run)
        t.runs.set(rate, runs)
        const l = run.value.latencyMs
        process.stderr.write(`  round ${round} ${t.name}: p50 ${fmtNum(l.p50)} ms, p99 ${fmtNum(l.p99)} ms, errors ${run.value.errors}, client late p99 ${fmtNum(run.value.lateMs.p99)} ms\n`)
      })
    }

    const data = summarise(closed, paced, o.rates, n, proxyCores ?? 1, o.durationSec)
    if (proxyCores === undefined) for (const c of data.closed) c.rpsPerCore = c.rpsPerFullCore ?? c.rpsPerCore
    const meli = data.closed[0]!
    ctx.shared.meliproxyRpsPerCore = meli.rpsPerCore
    return report(ctx, data, notes, started, nginx !== undefined)
  } finally {
    await stopNginx()
  }
}

function summarise(closed: ClosedTarget[], paced: PacedTarget[], rates: readonly number[], nodes: number, proxyCores: number, durationSec: number): ThroughputData {
  const closedOut = closed.map((t) => {
    const m = medianItem(t.runs, (r) => r.value.requestsPerSec)
    const cpu = medianDefined(t.runs.map((r) => r.cpuUsPerRequest))
    return {
      name: t.name,
      median: m.value,
      rounds: t.runs.map((r) => Math.round(r.value.requestsPerSec)),
      cpuUsPerRequest: cpu,
      coresUsed: m.cpuSeconds === undefined ? undefined : m.cpuSeconds / m.value.durationSec,
      coresWaiting: m.waitSeconds === undefined ? undefined : m.waitSeconds / m.value.durationSec,
      rpsPerCore: m.value.requestsPerSec / proxyCores,
      rpsPerFullCore: cpu === undefined ? undefined : 1e6 / cpu,
    }
  })
  const pacedOut: ThroughputData['paced'] = []
  for (const rate of rates) {
    let base: { p50: number; p99: number } | undefined
    for (const t of paced) {
      const runs = t.runs.get(rate) ?? []
      if (runs.length === 0) continue
      const pick = (k: 'p50' | 'p99' | 'p999'): number => medianItem(runs, (r) => r.value.latencyMs[k]).value.latencyMs[k]
      const row = {
        name: t.name,
        rate,
        rounds: runs.map((r) => r.value),
        p50: pick('p50'),
        p99: pick('p99'),
        p999: pick('p999'),
        achievedRps: medianItem(runs, (r) => r.value.completed).value.completed / durationSec,
        cpuUsPerRequest: medianDefined(runs.map((r) => r.cpuUsPerRequest)),
        addedP50: base === undefined ? undefined : 0,
        addedP99: base === undefined ? undefined : 0,
      }
      // The first target is the origin alone: the others' added latency is measured against it.
      if (base === undefined) base = { p50: row.p50, p99: row.p99 }
      else {
        row.addedP50 = row.p50 - base.p50
        row.addedP99 = row.p99 - base.p99
      }
      pacedOut.push(row)
    }
  }
  const [m, g] = closedOut
  const ratios: ThroughputData['ratios'] = {}
  if (m !== undefined && g !== undefined) {
    ratios['req/s per proxy core, meliproxy ÷ nginx'] = m.rpsPerCore / g.rpsPerCore
    ratios['req/s per fully used core, meliproxy ÷ nginx'] = m.rpsPerFullCore !== undefined && g.rpsPerFullCore !== undefined ? m.rpsPerFullCore / g.rpsPerFullCore : undefined
    ratios['p99 at max throughput, meliproxy ÷ nginx'] = m.median.latencyMs.p99 / Math.max(g.median.latencyMs.p99, 1e-3)
  }
  return { nodes, proxyCores, closed: closedOut, paced: pacedOut, ratios }
}

function report(ctx: BenchContext, d: ThroughputData, notes: string[], started: number, withNginx: boolean): SuiteResult {
  const o = ctx.options
  const maxTable: Table = {
    title: `Maximum throughput: closed loop (${ctx.tool}, ${o.connections} connections split over ${d.nodes} generator${d.nodes === 1 ? '' : 's'}), median of ${o.rounds} round(s) of ${o.durationSec} s`,
    columns: ['proxy', 'req/s', 'req/s per proxy core', 'p50 ms', 'p99 ms', 'p99.9 ms', 'errors', 'non-2xx', 'proxy CPU µs/req', 'proxy cores used', 'proxy cores waiting', 'req/s per fully used core', 'rounds (req/s)'],
    rows: [],
    note: 'p50/p99/p99.9 of a multi-generator row are the worst generator\'s. "proxy cores used" = the proxy processes\' user + system CPU time (/proc) ÷ run time; "proxy cores waiting" = the time their threads were runnable but not running (/proc schedstat) ÷ run time — behind one another (the nodes, or the workers, share one core) or behind other jobs. Used near 1, or used + waiting well over 1: the core was the limit; both low: the proxy was idle or blocked. "req/s per fully used core" = 1,000,000 ÷ CPU µs per request, the figure least moved by the sharing.',
  }
  for (const c of d.closed) {
    const l = c.median.latencyMs
    maxTable.rows.push([c.name, fmtInt(c.median.requestsPerSec), fmtInt(c.rpsPerCore), fmtNum(l.p50), fmtNum(l.p99), fmtNum(l.p999), fmtInt(c.median.errors), fmtInt(c.median.non2xx), fmtNum(c.cpuUsPerRequest, 1), fmtNum(c.coresUsed), fmtNum(c.coresWaiting), fmtInt(c.rpsPerFullCore), c.rounds.map(fmtInt).join(', ')])
    if (c.median.perEndpoint.length > 1 && c.name.startsWith('meliproxy')) {
      for (const e of c.median.perEndpoint) {
        const el = e.result.latencyMs
        maxTable.rows.push([`  node ${e.name}`, fmtInt(e.result.requestsPerSec), '', fmtNum(el.p50), fmtNum(el.p99), fmtNum(el.p999), fmtInt(e.result.errors), fmtInt(e.result.non2xx), '', '', '', '', ''])
      }
    }
  }
  const waiting = d.closed.filter((c) => (c.coresWaiting ?? 0) >= 0.1)
  if (waiting.length > 0) {
    notes.push(
      `the proxies' threads were runnable but not running for ${waiting.map((c) => `${fmtNum(c.coresWaiting)} (${c.name.split(' (')[0]})`).join(', ')} core-seconds per second — waiting for one another on their shared core and for other jobs on this machine: req/s is bounded by the core and moves with the neighbours; CPU µs per request (req/s per fully used core) is the comparison to trust`,
    )
  }
  const ratioTable: Table = { title: 'meliproxy vs nginx (same run, same core)', columns: ['comparison', 'ratio'], rows: Object.entries(d.ratios).map(([k, v]) => [k, fmtNum(v)]) }
  const latTable: Table = {
    title: `Latency at fixed rates (open loop, ${LATENCY_SOURCES.length} client addresses, latency from when each request fell due), median of ${o.rounds} round(s) of ${o.durationSec} s`,
    columns: ['rate req/s', 'target', 'achieved req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'added p50 ms', 'added p99 ms', 'client late p99 ms', 'errors', 'non-2xx', 'server CPU µs/req'],
    rows: d.paced.map((p) => {
      const r = medianItem(p.rounds, (x) => x.latencyMs.p99)
      const non2xx = Object.entries(r.statuses).reduce((s, [code, k]) => s + (code.startsWith('2') ? 0 : k), 0)
      return [fmtInt(p.rate), p.name, fmtInt(p.achievedRps), fmtNum(p.p50), fmtNum(p.p99), fmtNum(p.p999), fmtNum(p.addedP50), fmtNum(p.addedP99), fmtNum(r.lateMs.p99), fmtInt(r.errors + r.skipped), fmtInt(non2xx), fmtNum(p.cpuUsPerRequest, 1)]
    }),
    note: '"added" = the percentile through the proxy minus the origin alone\'s at the same rate, each the median over rounds. "client late" = how late the client itself sent requests (its own lag: when large, the client, not the server, limited the test). "server CPU" = the origin\'s for the origin alone, the proxy processes\' otherwise.',
  }
  const meli = d.closed[0]!
  const ng = d.closed[1]
  const headline: string[] = []
  if (ng !== undefined) {
    headline.push(
      `Throughput per core: meliproxy ${fmtInt(meli.rpsPerCore)} req/s vs nginx ${fmtInt(ng.rpsPerCore)} req/s on one pinned core (${d.nodes} node${d.nodes === 1 ? '' : 's'} vs ${d.nodes} worker${d.nodes === 1 ? '' : 's'}), ratio ${fmtNum(d.ratios['req/s per proxy core, meliproxy ÷ nginx'])}; ` +
        `CPU per request ${fmtNum(meli.cpuUsPerRequest, 1)} µs vs ${fmtNum(ng.cpuUsPerRequest, 1)} µs, i.e. ${fmtInt(meli.rpsPerFullCore)} vs ${fmtInt(ng.rpsPerFullCore)} req/s per fully used core (ratio ${fmtNum(d.ratios['req/s per fully used core, meliproxy ÷ nginx'])}); proxy cores used ${fmtNum(meli.coresUsed)} vs ${fmtNum(ng.coresUsed)} (\`throughput\`).`,
    )
  } else headline.push(`Throughput per core: meliproxy ${fmtInt(meli.rpsPerCore)} req/s (nginx baseline missing) (\`throughput\`).`)
  for (const rate of o.rates) {
    const rows = d.paced.filter((p) => p.rate === rate)
    const origin = rows.find((p) => p.addedP99 === undefined)
    const parts = rows.filter((p) => p.addedP99 !== undefined).map((p) => `${p.name.split(' (')[0]} ${p.addedP99! >= 0 ? '+' : ''}${fmtNum(p.addedP99)} ms (p99 ${fmtNum(p.p99)} ms, achieved ${fmtInt(p.achievedRps)} req/s)`)
    if (origin !== undefined) headline.push(`p99 added latency at ${fmtInt(rate)} req/s: ${parts.join('; ')}, over the origin alone's p99 of ${fmtNum(origin.p99)} ms (\`throughput\`).`)
  }
  const charts = [
    { file: 'throughput-rps.svg', title: 'req/s per proxy core', svg: barChartSvg('Maximum throughput per proxy core', 'req/s', d.closed.map((c) => ({ label: c.name, value: c.rpsPerCore }))) },
    { file: 'throughput-p99.svg', title: 'p99 at fixed rates', svg: barChartSvg('p99 latency at fixed rates', 'ms', d.paced.map((p) => ({ label: `${p.name} @ ${fmtInt(p.rate)}/s`, value: p.p99 }))) },
  ]
  return {
    suite: 'throughput',
    title: 'Throughput and latency: meliproxy vs nginx',
    startedAt: new Date(started).toISOString(),
    durationSec: (Date.now() - started) / 1000,
    settings: { tool: ctx.tool, nodes: d.nodes, connections: o.connections, durationSec: o.durationSec, rounds: o.rounds, rates: o.rates.join(','), rules: o.rules, stats: o.stats, nginx: withNginx, pinned: ctx.split !== undefined },
    tables: [maxTable, ...(ng !== undefined ? [ratioTable] : []), latTable],
    charts,
    notes,
    headline,
    data: d,
  }
}
