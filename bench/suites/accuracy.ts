// Suite `accuracy`: how close the real cluster keeps each window to its limit under load.
//
// Three rules are added at run time through the admin API (one node; they spread to every node — the time until
// every node lists them is reported), each on its own path family so every request meets one of them:
//   10 / window on /sites/*, 1,000 on /users/*, 100,000 on /items/*   (window = 1 minute; --quick: 2 s, and the
//   100,000 rule is left out — no quick run can offer it enough requests)
// Each is asked for more than its limit (10: 20 req/s, hammering; 1,000: 3×, quick 1.5×; 100,000: 1.2×), from 64 client
// addresses, by the fixed-rate client: first uniformly over the nodes, then skewed (node 1 takes 80%), for
// `accuracyWindows` whole windows each, starting on a window boundary. The client counts, per window, the answers
// it got: admitted (anything but 429/503) and limited (429); an answer whose request and response straddle a
// boundary is reported as ambiguous (no request falls due within `guard` of a boundary), which turns over- and
// under-admission into upper bounds.
// Targets (DESIGN.md): within ±1% of the limit for limits ≥ 1,000, at most +1 request for small limits.
import type { BenchContext } from '../lib/bench-context.js'
import { createRule, deleteRule, ruleCountsPerMinute, ruleIds, type RuleCounts } from '../lib/admin-client.js'
import { runPacedLoad, type PacedLoadResult } from '../lib/paced-client.js'
import { fmtInt, fmtNum, fmtPct, type SuiteResult, type Table } from '../lib/suite-report.js'
import { barChartSvg } from '../lib/svg-chart.js'
import { MANY_SOURCES } from './gossip.js'

interface Scenario {
  limit: number
  /** Requests per second asked over the cluster. */
  rate: number
  pathGlob: string
  paths: string[]
}

const FULL: Scenario[] = [
  { limit: 10, rate: 20, pathGlob: '/sites/*', paths: ['/sites/MLA', '/sites/MLB', '/sites/MLM'] },
  { limit: 1000, rate: 50, pathGlob: '/users/*', paths: ['/users/202593498', '/users/59051525'] },
  { limit: 100_000, rate: 2000, pathGlob: '/items/*', paths: ['/items/MLA600000123', '/items/MLA811601010', '/items/MLB1234567', '/items/MLA700000001'] },
]

export interface AccuracyWindow {
  rule: string
  limit: number
  load: 'uniform' | 'skewed'
  window: number
  start: string
  /** Admitted for certain (request and answer inside the window). */
  admitted: number
  /** Admitted answers that straddle a boundary of this window: the true count is in [admitted, admitted + this]. */
  ambiguousAdmitted: number
  limited: number
  failed: number
  /** At most this many over the limit: max(0, admitted + ambiguousAdmitted − limit). */
  over: number
  /** At most this many under: max(0, min(limit, answered) − admitted). */
  under: number
  /** Whether the target holds for every count the ambiguous answers allow ('unclear' when only for some). */
  withinTarget: 'yes' | 'no' | 'unclear'
  /** The nodes' own count for the window (minute windows only: their statistics are per minute). */
  nodesAdmitted: number | undefined
}

export interface AccuracyData {
  nodes: number
  windowMs: number
  ruleSpreadMs: number
  windows: AccuracyWindow[]
  phases: Array<{ load: 'uniform' | 'skewed'; result: PacedLoadResult }>
}

function windowName(windowMs: number): string {
  return windowMs === 60_000 ? 'minute' : `${windowMs / 1000}s`
}

/** DESIGN.md's accuracy target for one window. */
export function withinTarget(limit: number, admitted: number, answered: number): boolean {
  if (limit >= 1000) return Math.abs(admitted - Math.min(limit, answered)) <= 0.01 * limit
  return admitted <= limit + 1 && admitted >= Math.min(limit, answered) - 1
}

export async function runAccuracySuite(ctx: BenchContext): Promise<SuiteResult> {
  const started = Date.now()
  const o = ctx.options
  const cluster = await ctx.cluster()
  const n = cluster.nodes.length
  const windowMs = o.accuracyWindowMs
  const per = windowName(windowMs)
  // In a short window the two smaller limits keep their rate per window, the 100,000 one cannot be offered.
  const scenarios = o.quick ? [FULL[0]!, { ...FULL[1]!, rate: 750 }] : FULL
  const guardMs = windowMs >= 60_000 ? 100 : 50
  const notes: string[] = []
  const rules = scenarios.map((s) => ({ id: `accuracy-${s.limit}`, match: { path: s.pathGlob }, limit: s.limit, per }))
  const first = cluster.nodes[0]!
  for (const r of rules) await deleteRule(first, cluster.token, r.id)
  const t0 = performance.now()
  for (const r of rules) await createRule(first, cluster.token, r)
  // Created on one node; in force when every node lists them.
  await cluster.waitOnEvery(async (x) => {
    const ids = await ruleIds(x, cluster.token)
    return rules.every((r) => ids.includes(r.id))
  }, 'the accuracy rules on every node')
  const spreadMs = performance.now() - t0
  notes.push(`the ${rules.length} rules were created on ${first.id} and listed by all ${n} nodes ${fmtInt(spreadMs)} ms after the first was sent`)

  const phases: AccuracyData['phases'] = []
  try {
    await ctx.pinSelf()
    const loads: Array<'uniform' | 'skewed'> = n > 1 ? ['uniform', 'skewed'] : ['uniform']
    if (n === 1) notes.push('one node: the skewed case is the uniform one')
    let startAt = Math.ceil((Date.now() + 200) / windowMs) * windowMs
    for (const load of loads) {
      const weights = load === 'uniform' ? cluster.nodes.map(() => 1) : cluster.nodes.map((_, i) => (i === 0 ? 0.8 : 0.2 / (n - 1)))
      const waitSec = Math.max(0, (startAt - Date.now()) / 1000)
      process.stderr.write(`accuracy: ${load} load, ${o.accuracyWindows} window(s) of ${windowMs / 1000} s from a window boundary${waitSec > 1 ? ` (waiting ${Math.round(waitSec)} s for it)` : ''}\n`)
      const result = await runPacedLoad({
        targets: cluster.nodes.map((x) => x.http),
        streams: scenarios.map((s, i) => ({ name: rules[i]!.id, rate: s.rate, paths: s.paths, weights, windowMs, guardMs })),
        durationMs: o.accuracyWindows * windowMs,
        sourceAddresses: MANY_SOURCES,
        connectionsPerPool: 1,
        startAt,
        label: `accuracy ${load}`,
      })
      cluster.assertAlive()
      phases.push({ load, result })
      startAt += o.accuracyWindows * windowMs
    }
  } finally {
    for (const r of rules) await deleteRule(first, cluster.token, r.id).catch(() => undefined)
  }

  // A second opinion, from the nodes: their statistics count each rule's decisions per minute (a decision made
  // while a minute is being closed may land in its neighbour, as the client's ambiguous answers may).
  let nodeCounts: Map<number, Record<string, RuleCounts>> | undefined
  if (!o.stats) notes.push('statistics are off on the nodes (--stats off): no second count from them')
  if (windowMs === 60_000 && phases.length > 0 && o.stats) {
    const from = Math.floor(phases[0]!.result.startedAt / windowMs) * windowMs
    const to = from + phases.length * o.accuracyWindows * windowMs
    // The minute in progress is read live; closed ones once flushed: wait a flush interval past the last.
    await new Promise((r) => setTimeout(r, 1500))
    const counts = await ruleCountsPerMinute(first, cluster.token, from, to).catch((err: unknown) => {
      notes.push(`the nodes' own counts could not be read: ${(err as Error).message}`)
      return undefined
    })
    if (counts !== undefined && counts.missing.length > 0) notes.push(`the nodes' own counts lack ${counts.missing.join(', ')} (no answer)`)
    nodeCounts = counts?.minutes
  }

  const windows: AccuracyWindow[] = []
  for (const { load, result } of phases) {
    const firstWindow = Math.floor(result.startedAt / windowMs)
    result.streams.forEach((s, i) => {
      const limit = scenarios[i]!.limit
      for (const w of s.windows) {
        // Only whole windows the phase covered (a late answer may land in the next one).
        if (w.window < firstWindow || w.window >= firstWindow + o.accuracyWindows) continue
        const answered = w.admitted + w.limited
        const amb = w.ambiguous
        const low = withinTarget(limit, w.admitted, answered)
        const high = withinTarget(limit, w.admitted + amb.admitted, answered + amb.admitted + amb.limited)
        windows.push({
          rule: s.name,
          limit,
          load,
          window: w.window - firstWindow + 1,
          start: new Date(w.start).toISOString(),
          admitted: w.admitted,
          ambiguousAdmitted: amb.admitted,
          limited: w.limited,
          failed: w.failed,
          over: Math.max(0, w.admitted + amb.admitted - limit),
          under: Math.max(0, Math.min(limit, answered) - w.admitted),
          withinTarget: low && high ? 'yes' : !low && !high ? 'no' : 'unclear',
          nodesAdmitted: nodeCounts === undefined ? undefined : (nodeCounts.get(w.start)?.[s.name]?.admitted ?? 0),
        })
      }
    })
  }
  const data: AccuracyData = { nodes: n, windowMs, ruleSpreadMs: spreadMs, windows, phases }

  const table: Table = {
    title: `${n} nodes, ${MANY_SOURCES.length} client addresses, ${o.accuracyWindows} window(s) of ${windowMs / 1000} s per load shape`,
    columns: ['rule', 'load', 'window', 'asked req/s', 'admitted', '+ ambiguous', 'limit', 'admitted / limit', 'over (at most)', 'under (at most)', '429s', 'failed', 'within target', 'nodes\' own count'],
    rows: windows.map((w) => {
      const sc = scenarios.find((s) => s.limit === w.limit)!
      return [w.rule, w.load, String(w.window), fmtInt(sc.rate), fmtInt(w.admitted), fmtInt(w.ambiguousAdmitted), fmtInt(w.limit), fmtNum(w.admitted / w.limit, 3), fmtInt(w.over), fmtInt(w.under), fmtInt(w.limited), fmtInt(w.failed), w.withinTarget, fmtInt(w.nodesAdmitted)]
    }),
    note: `admitted = answers whose request and response both fell in the window; "+ ambiguous" = admitted answers that straddle one of its boundaries (they belong to it or to a neighbour; no request falls due within ${guardMs} ms of a boundary, so these are requests slower than that). over = admitted + ambiguous − limit and under = min(limit, answered) − admitted are therefore upper bounds. Target: ±1% of the limit for limits ≥ 1,000, at most one request off for smaller ones. "nodes' own count" = the rule's admissions in that minute by the nodes' statistics, summed over the cluster (minute windows only).`,
  }
  const perNode: Table = {
    title: 'Admitted per node (whole load shape)',
    columns: ['rule', 'load', ...cluster.nodes.map((x) => `${x.id} admitted (sent)`)],
    rows: phases.flatMap((p) => p.result.streams.map((s) => [s.name, p.load, ...s.perTarget.map((t) => `${fmtInt(t.admitted)} (${fmtInt(t.sent)})`)])),
  }
  const headline: string[] = []
  for (const load of ['uniform', 'skewed'] as const) {
    const parts = scenarios.map((s) => {
      const ws = windows.filter((w) => w.limit === s.limit && w.load === load)
      if (ws.length === 0) return undefined
      const over = Math.max(...ws.map((w) => w.over))
      const under = Math.max(...ws.map((w) => w.under))
      const ratios = ws.map((w) => w.admitted / w.limit)
      return `${fmtInt(s.limit)}/${per}: admitted/limit ${ratios.map((r) => fmtNum(r, 3)).join(', ')}, over-admission ${over === 0 ? '0' : `at most +${fmtInt(over)} (${fmtPct(over / s.limit)})`}, under-admission at most ${fmtInt(under)} (${fmtPct(under / s.limit)})`
    })
    if (parts.some((p) => p !== undefined)) headline.push(`Accuracy on ${n} real nodes, ${load} load: ${parts.filter((p) => p !== undefined).join('; ')} (\`accuracy\`).`)
  }
  return {
    suite: 'accuracy',
    title: 'Accuracy of the limits on a real cluster',
    startedAt: new Date(started).toISOString(),
    durationSec: (Date.now() - started) / 1000,
    settings: { nodes: n, windowMs, windowsPerShape: o.accuracyWindows, sources: MANY_SOURCES.length, guardMs, limits: scenarios.map((s) => s.limit).join(',') },
    tables: [table, perNode],
    charts: [
      {
        file: 'accuracy-ratio.svg',
        title: 'admitted / limit per window',
        svg: barChartSvg('Admitted ÷ limit per window', '', windows.map((w) => ({ label: `${w.rule} ${w.load} w${w.window}`, value: w.admitted / w.limit }))),
      },
    ],
    notes,
    headline,
    data,
  }
}
