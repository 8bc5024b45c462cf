// The results of one `meliproxy bench` run: every suite gives tables (already formatted cells), SVG charts, notes and
// the headline sentences the summary quotes; the run writes them under bench/results/<timestamp>/ as
//   <suite>.json   everything the suite measured (machine readable)
//   <suite>.md     its tables and charts
//   <suite>-*.svg  its charts
//   report.md      the whole run: command, machine, load average before and after, summary, every suite
//   report.json    the same, machine readable
// and prints the same tables as aligned text on the terminal.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { BenchReport } from './report.js'

export interface Table {
  title: string
  columns: string[]
  rows: string[][]
  /** Printed under the table. */
  note?: string
}

export interface Chart {
  /** File name, e.g. "throughput-rps.svg". */
  file: string
  title: string
  svg: string
}

export interface SuiteResult {
  suite: string
  title: string
  startedAt: string
  durationSec: number
  settings: Record<string, string | number | boolean>
  tables: Table[]
  charts: Chart[]
  notes: string[]
  /** Sentences for the run's summary (the closing note of RESULTS.md). */
  headline: string[]
  /** Everything measured, for the JSON file. */
  data: unknown
}

export interface RunReport {
  command: string
  startedAt: string
  finishedAt: string
  machine: BenchReport['machine'] & { loadAverageAfter: number[]; uptimeBefore: string; uptimeAfter: string }
  suites: SuiteResult[]
  /** Suites that failed, with why (the run goes on with the others). */
  failures: Array<{ suite: string; message: string }>
}

export function fmtInt(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? '–' : Math.round(n).toLocaleString('en-US')
}

export function fmtNum(n: number | undefined, digits = 2): string {
  return n === undefined || !Number.isFinite(n) ? '–' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

export function fmtPct(fraction: number | undefined, digits = 2): string {
  return fraction === undefined || !Number.isFinite(fraction) ? '–' : `${(fraction * 100).toFixed(digits)}%`
}

export function fmtBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–'
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} MB`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`
  return `${Math.round(n)} B`
}

/** A formatted number, with a unit or not, or the dash of "not measured". */
const NUMBER = /^[-+–]?[\d,.]+( ?(%|ms|µs|B|kB|MB|×|s))?$|^–$/

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}

export function markdownTable(t: Table): string {
  // A column is right-aligned when every filled cell is a number (sub-rows may leave cells empty).
  const numeric = t.columns.map((_, c) => {
    const filled = t.rows.map((r) => r[c] ?? '').filter((cell) => cell !== '')
    return filled.length > 0 && filled.every((cell) => NUMBER.test(cell))
  })
  const lines = [
    `| ${t.columns.map(escapeCell).join(' | ')} |`,
    `|${t.columns.map((_, c) => (numeric[c] ? '---:' : '---')).join('|')}|`,
    ...t.rows.map((r) => `| ${t.columns.map((_, c) => escapeCell(r[c] ?? '')).join(' | ')} |`),
  ]
  return lines.join('\n')
}

/** The table as aligned text for a terminal. */
export function textTable(t: Table): string {
  const widths = t.columns.map((h, c) => Math.max(h.length, ...t.rows.map((r) => (r[c] ?? '').length)))
  const line = (cells: readonly string[]): string => cells.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()
  return [t.title, line(t.columns), line(widths.map((w) => '-'.repeat(w))), ...t.rows.map(line), ...(t.note !== undefined ? [t.note] : [])].join('\n')
}

export function markdownSuite(s: SuiteResult, level = 2): string {
  const h = '#'.repeat(level)
  const out: string[] = [`${h} ${s.title}`, '', `Suite \`${s.suite}\`, started ${s.startedAt}, took ${Math.round(s.durationSec)} s. Settings: ${Object.entries(s.settings).map(([k, v]) => `${k}=${String(v)}`).join(', ')}.`, '']
  for (const t of s.tables) {
    out.push(`**${t.title}**`, '', markdownTable(t), '')
    if (t.note !== undefined) out.push(t.note, '')
  }
  if (s.notes.length > 0) out.push(...s.notes.map((n) => `- ${n}`), '')
  for (const c of s.charts) out.push(`![${c.title}](${c.file})`, '')
  return out.join('\n')
}

export function markdownRun(r: RunReport): string {
  const m = r.machine
  const out: string[] = [
    '# meliproxy benchmark results',
    '',
    `Command: \`${r.command}\``,
    '',
    `Run: ${r.startedAt} → ${r.finishedAt}. Machine: ${m.cpus} CPUs (${m.cpuModel}), Node ${m.node}, ${m.platform}.`,
    '',
    `Load average (1/5/15 min) before: ${m.loadAverage.join(' / ')}; after: ${m.loadAverageAfter.join(' / ')}. ` +
      'Other jobs may have shared this machine during the run: compare the ratios measured within the run, not absolute numbers across runs.',
    '',
    `\`uptime\` before: \`${m.uptimeBefore}\``,
    '',
    `\`uptime\` after: \`${m.uptimeAfter}\``,
    '',
    '## Summary',
    '',
    ...r.suites.flatMap((s) => s.headline.map((line) => `- ${line}`)),
    ...r.failures.map((f) => `- Suite \`${f.suite}\` failed: ${f.message}`),
    '',
  ]
  for (const s of r.suites) out.push(markdownSuite(s, 2))
  return `${out.join('\n')}\n`
}

/** Writes every suite's files and the run's report.md/json into `dir` (created); resolves with the file paths. */
export async function writeRun(r: RunReport, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true })
  // The JSON names the charts; their SVG text lives in the .svg files.
  const forJson = (s: SuiteResult): unknown => ({ ...s, charts: s.charts.map((c) => ({ file: c.file, title: c.title })) })
  const files: Array<[string, string]> = []
  for (const s of r.suites) {
    files.push([`${s.suite}.json`, `${JSON.stringify(forJson(s), null, 2)}\n`], [`${s.suite}.md`, `${markdownSuite(s, 1)}\n`])
    for (const c of s.charts) files.push([c.file, c.svg])
  }
  files.push(['report.md', markdownRun(r)], ['report.json', `${JSON.stringify({ ...r, suites: r.suites.map(forJson) }, null, 2)}\n`])
  for (const [name, text] of files) await writeFile(join(dir, name), text)
  return files.map(([name]) => join(dir, name))
}
