// Suite `cost`: what limiting and statistics cost a node, as ratios within one run. Three single-node clusters,
// identical but for one thing each, all pinned to the proxy CPU:
//   full        the bench config's rules, statistics on (what a node does)
//   no rules    no rules at all (the limiter finds nothing to match)
//   stats off   the rules, statistics recording turned off (stats.enabled: false)
// Closed-loop load on each in alternating rounds (full, no rules, stats off, full, ...), median round; the cost is
// read from CPU µs per request (steady) and from req/s (what a user sees).
import type { BenchCluster } from '../lib/bench-cluster.js'
import type { BenchContext } from '../lib/bench-context.js'
import type { MultiLoadResult } from '../lib/multi-load.js'
import { alternateRounds, medianDefined, medianItem, withCpu, type CpuMeasured } from '../lib/rounds.js'
import { fmtInt, fmtNum, fmtPct, type SuiteResult } from '../lib/suite-report.js'
import { barChartSvg } from '../lib/svg-chart.js'

interface Variant {
  key: string
  name: string
  rules: readonly Record<string, unknown>[]
  statsOff: boolean
  cluster?: BenchCluster
  runs: Array<CpuMeasured<MultiLoadResult>>
}

export interface CostData {
  variants: Array<{ name: string; rules: number; stats: boolean; requestsPerSec: number; cpuUsPerRequest: number | undefined; coresUsed: number | undefined; coresWaiting: number | undefined; p99: number; rounds: number[]; errors: number; non2xx: number }>
  limiting?: { rpsRatio: number; cpuRatio: number | undefined; extraCpuUs: number | undefined }
  stats?: { rpsRatio: number; cpuRatio: number | undefined; extraCpuUs: number | undefined }
}

/** The variants measured, from the bench config's rules. */
function costVariants(rules: readonly Record<string, unknown>[]): Variant[] {
  const variants: Variant[] = [{ key: 'cost-full', name: `full (${rules.length} rules, stats on)`, rules, statsOff: false, runs: [] }]
  if (rules.length > 0) variants.push({ key: 'cost-no-rules', name: 'no rules (stats on)', rules: [], statsOff: false, runs: [] })
  variants.push({ key: 'cost-stats-off', name: `stats off (${rules.length} rules)`, rules, statsOff: true, runs: [] })
  return variants
}

/** Starts the suite's single-node clusters now, so they start alongside the rest of the run. */
export function startCostClustersEarly(ctx: BenchContext): void {
  for (const v of costVariants(ctx.config.rules)) void ctx.extraCluster(v.key, { nodes: 1, rules: v.rules, statsOff: v.statsOff })
}

export async function runCostSuite(ctx: BenchContext): Promise<SuiteResult> {
  const started = Date.now()
  const o = ctx.options
  const notes: string[] = []
  const rules = ctx.config.rules
  const variants = costVariants(rules)
  if (rules.length === 0) notes.push('the bench config has no rules: the cost of limiting is not measured')
  notes.push('"stats off" = the node started with stats.enabled: false (requests are not recorded)')
  try {
    process.stderr.write(`cost: ${variants.length} single-node clusters (${variants.map((v) => v.name).join('; ')})\n`)
    await Promise.all(variants.map(async (v) => (v.cluster = await ctx.extraCluster(v.key, { nodes: 1, rules: v.rules, statsOff: v.statsOff }))))
    await ctx.pinSelf()
    const load = (v: Variant, durationSec: number, label: string): Promise<MultiLoadResult> =>
      ctx.closedLoad([{ name: v.cluster!.nodes[0]!.id, url: v.cluster!.nodes[0]!.http }], durationSec, label)
    if (o.warmupSec > 0) for (const v of variants) await load(v, o.warmupSec, `warm-up ${v.name}`)
    await alternateRounds(variants, o.rounds, async (v, round) => {
      const run = await withCpu(v.cluster!.pids(), (r) => r.requests, () => load(v, o.durationSec, `${v.name} #${round}`))
      v.cluster!.assertAlive()
      v.runs.push(run)
      process.stderr.write(`  round ${round} ${v.name}: ${fmtInt(run.value.requestsPerSec)} req/s, CPU ${fmtNum(run.cpuUsPerRequest, 1)} µs/req\n`)
    })
  } finally {
    await Promise.all(variants.map((v) => ctx.closeExtra(v.key)))
  }

  const rows = variants.map((v) => {
    const run = medianItem(v.runs, (r) => r.value.requestsPerSec)
    const m = run.value
    return {
      name: v.name,
      rules: v.rules.length,
      stats: !v.statsOff,
      requestsPerSec: m.requestsPerSec,
      cpuUsPerRequest: medianDefined(v.runs.map((r) => r.cpuUsPerRequest)),
      coresUsed: run.cpuSeconds === undefined ? undefined : run.cpuSeconds / m.durationSec,
      coresWaiting: run.waitSeconds === undefined ? undefined : run.waitSeconds / m.durationSec,
      p99: m.latencyMs.p99,
      rounds: v.runs.map((r) => Math.round(r.value.requestsPerSec)),
      errors: m.errors,
      non2xx: m.non2xx,
    }
  })
  if (rows.some((r) => (r.coresWaiting ?? 0) >= 0.1)) notes.push('the node\'s threads were runnable but not running for part of the runs (see "node cores waiting": behind its own other threads, or other jobs on this machine), so the req/s ratios are noisier than the CPU-per-request ones')
  const full = rows[0]!
  const compare = (without: (typeof rows)[number] | undefined): CostData['limiting'] =>
    without === undefined
      ? undefined
      : {
          rpsRatio: without.requestsPerSec / full.requestsPerSec,
          cpuRatio: full.cpuUsPerRequest !== undefined && without.cpuUsPerRequest !== undefined ? full.cpuUsPerRequest / without.cpuUsPerRequest : undefined,
          extraCpuUs: full.cpuUsPerRequest !== undefined && without.cpuUsPerRequest !== undefined ? full.cpuUsPerRequest - without.cpuUsPerRequest : undefined,
        }
  const data: CostData = { variants: rows }
  const limiting = compare(rows.find((r) => r.rules === 0))
  const stats = compare(rows.find((r) => !r.stats))
  if (limiting !== undefined) data.limiting = limiting
  if (stats !== undefined) data.stats = stats

  const headline: string[] = []
  const sentence = (what: string, c: CostData['limiting']): string =>
    c === undefined
      ? ''
      : `Cost of ${what}: ${c.extraCpuUs === undefined ? '–' : `${c.extraCpuUs >= 0 ? '+' : ''}${fmtNum(c.extraCpuUs, 1)}`} CPU µs per request (${c.cpuRatio === undefined ? '–' : fmtPct(c.cpuRatio - 1, 1)}); req/s without it ÷ with it = ${fmtNum(c.rpsRatio)} (\`cost\`).`
  if (limiting !== undefined) headline.push(sentence(`limiting (${full.rules} rules vs none)`, limiting))
  if (stats !== undefined) headline.push(sentence('statistics (on vs off)', stats))
  return {
    suite: 'cost',
    title: 'Cost of limiting and of statistics (one node)',
    startedAt: new Date(started).toISOString(),
    durationSec: (Date.now() - started) / 1000,
    settings: { tool: ctx.tool, connections: o.connections, durationSec: o.durationSec, rounds: o.rounds, pinned: ctx.split !== undefined },
    tables: [
      {
        title: `One node, closed loop (${ctx.tool}, ${o.connections} connections), median of ${o.rounds} round(s) of ${o.durationSec} s`,
        columns: ['variant', 'req/s', 'node CPU µs/req', 'node cores used', 'node cores waiting', 'p99 ms', 'errors', 'non-2xx', 'rounds (req/s)'],
        rows: rows.map((r) => [r.name, fmtInt(r.requestsPerSec), fmtNum(r.cpuUsPerRequest, 1), fmtNum(r.coresUsed), fmtNum(r.coresWaiting), fmtNum(r.p99), fmtInt(r.errors), fmtInt(r.non2xx), r.rounds.map(fmtInt).join(', ')]),
        note: '"node cores used" = the node\'s CPU time ÷ run time; "node cores waiting" = the time its threads were runnable but not running ÷ run time (/proc schedstat). On a shared machine req/s moves with the neighbours; CPU µs per request is the cost to compare.',
      },
      {
        title: 'Cost as ratios (full node vs the variant without it)',
        columns: ['what', 'extra CPU µs per request', 'CPU per request, with ÷ without', 'req/s, without ÷ with'],
        rows: [
          ...(limiting !== undefined ? [['limiting', fmtNum(limiting.extraCpuUs, 1), fmtNum(limiting.cpuRatio), fmtNum(limiting.rpsRatio)]] : []),
          ...(stats !== undefined ? [['statistics', fmtNum(stats.extraCpuUs, 1), fmtNum(stats.cpuRatio), fmtNum(stats.rpsRatio)]] : []),
        ],
      },
    ],
    charts: [{ file: 'cost-cpu.svg', title: 'CPU µs per request', svg: barChartSvg('Node CPU per request', 'µs', rows.map((r) => ({ label: r.name, value: r.cpuUsPerRequest ?? 0 }))) }],
    notes,
    headline,
    data,
  }
}
