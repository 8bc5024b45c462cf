// Writes a suite's results under bench/results/<timestamp>/: <suite>.json (everything, machine
// readable), <suite>.md (a table a reader compares at a glance, with the ratios) and SVG charts
// (req/s and p99 bars; the per-second target rate as lines when the runs had a probe).
import { mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LoadResult } from './load.js'
import { barChartSvg, lineChartSvg } from './svg-chart.js'

export interface ReportRow {
  /** What was measured, e.g. "origin alone" or "nginx → origin". */
  name: string
  /** The representative run (the median round by req/s when there were several). */
  result: LoadResult
  /** req/s of every round, in the order run. */
  rounds?: number[]
  /** Server-side CPU microseconds per completed request, per process group (e.g. `{ nginx: 21.3, origin: 14.1 }`). */
  cpuUsPerRequest?: Record<string, number>
}

export interface Comparison {
  /** e.g. "nginx → origin vs origin alone (req/s)". */
  name: string
  ratio: number
}

export interface BenchReport {
  suite: string
  startedAt: string
  machine: { cpus: number; cpuModel: string; node: string; platform: string; loadAverage: number[] }
  settings: Record<string, string | number | boolean>
  rows: ReportRow[]
  comparisons: Comparison[]
  notes: string[]
}

export function machineInfo(): BenchReport['machine'] {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  }
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

export function markdownReport(report: BenchReport): string {
  const m = report.machine
  const out: string[] = [
    `# ${report.suite}`,
    '',
    `${report.startedAt} · ${m.cpus} CPUs (${m.cpuModel}) · Node ${m.node} · ${m.platform} · load average at start ${m.loadAverage.join(' / ')}`,
    '',
    `Settings: ${Object.entries(report.settings).map(([k, v]) => `${k}=${String(v)}`).join(', ')}`,
    '',
    '| run | tool | conns | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors | non-2xx | MB/s | CPU µs/req | rounds (req/s) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ]
  for (const row of report.rows) {
    const r = row.result
    const l = r.latencyMs
    out.push(
      `| ${row.name} | ${r.tool} | ${r.connections} | ${fmt(r.requestsPerSec)} | ${fmt(l.p50, 2)} | ${fmt(l.p90, 2)} | ${fmt(l.p99, 2)} | ${fmt(l.p999, 2)} | ${fmt(r.errors)} | ${fmt(r.non2xx)} | ${fmt(r.bytesPerSec / 1e6, 1)} | ${Object.entries(row.cpuUsPerRequest ?? {}).map(([k, v]) => `${k} ${fmt(v, 1)}`).join(', ')} | ${(row.rounds ?? [r.requestsPerSec]).map((x) => fmt(x)).join(', ')} |`,
    )
  }
  if (report.comparisons.length > 0) {
    out.push('', '| comparison | ratio |', '|---|---:|')
    for (const c of report.comparisons) out.push(`| ${c.name} | ${fmt(c.ratio, 2)} |`)
  }
  if (report.notes.length > 0) out.push('', ...report.notes.map((n) => `- ${n}`))
  out.push('', `![req/s](${report.suite}-rps.svg)`, '', `![p99](${report.suite}-p99.svg)`)
  if (report.rows.some((r) => r.result.timeline.length > 0)) out.push('', `![target rate per second](${report.suite}-timeline.svg)`)
  return `${out.join('\n')}\n`
}

/** bench/results of this checkout, from the source (bench/lib) or the build (dist/bench/lib). */
export function defaultResultsDir(): string {
  const here = import.meta.url
  return fileURLToPath(new URL(here.endsWith('.ts') ? '../results/' : '../../../bench/results/', here))
}

/** A directory-name timestamp: 2026-11-27T23-59-01Z. */
export function timestampName(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-')
}

export async function writeReport(report: BenchReport, opts: { resultsDir?: string; timestamp?: string } = {}): Promise<{ dir: string; files: string[] }> {
  const dir = join(opts.resultsDir ?? defaultResultsDir(), opts.timestamp ?? timestampName(new Date(report.startedAt)))
  await mkdir(dir, { recursive: true })
  const files: Array<[string, string]> = [
    [`${report.suite}.json`, `${JSON.stringify(report, null, 2)}\n`],
    [`${report.suite}.md`, markdownReport(report)],
    [`${report.suite}-rps.svg`, barChartSvg(`${report.suite}: throughput`, 'req/s', report.rows.map((r) => ({ label: r.name, value: r.result.requestsPerSec })))],
    [`${report.suite}-p99.svg`, barChartSvg(`${report.suite}: p99 latency`, 'ms', report.rows.map((r) => ({ label: r.name, value: r.result.latencyMs.p99 })))],
  ]
  const withTimeline = report.rows.filter((r) => r.result.timeline.length > 0)
  if (withTimeline.length > 0) {
    files.push([
      `${report.suite}-timeline.svg`,
      lineChartSvg(`${report.suite}: target rate per second`, 'seconds into the run', 'req/s', withTimeline.map((r) => ({ name: r.name, points: r.result.timeline.map((p) => [p.second, p.requestsPerSec] as const) }))),
    ])
  }
  for (const [name, text] of files) await writeFile(join(dir, name), text)
  return { dir, files: files.map(([name]) => join(dir, name)) }
}
