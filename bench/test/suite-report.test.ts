import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { fmtBytes, fmtInt, fmtNum, fmtPct, markdownRun, markdownTable, textTable, writeRun, type RunReport, type SuiteResult } from '../lib/suite-report.js'

const dir = mkdtempSync(join(tmpdir(), 'meliproxy-suite-report-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const suite: SuiteResult = {
  suite: 'demo',
  title: 'Demo suite',
  startedAt: '2026-11-28T00:00:00.000Z',
  durationSec: 12.4,
  settings: { nodes: 2, quick: false },
  tables: [{ title: 'Numbers', columns: ['name', 'req/s', 'p99 ms'], rows: [['a | b', '12,345', '1.50'], ['c', '–', '0.25']], note: 'a note under the table' }],
  charts: [{ file: 'demo-rps.svg', title: 'req/s', svg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' }],
  notes: ['something to know'],
  headline: ['Demo: 12,345 req/s (`demo`).'],
  data: { answer: 42 },
}

const run: RunReport = {
  command: 'meliproxy bench demo',
  startedAt: '2026-11-28T00:00:00.000Z',
  finishedAt: '2026-11-28T00:00:13.000Z',
  machine: { cpus: 2, cpuModel: 'AMD EPYC', node: 'v20.20.2', platform: 'linux/x64', loadAverage: [1.5, 1, 0.5], loadAverageAfter: [2, 1.2, 0.6], uptimeBefore: 'up 1 day, load average: 1.50, 1.00, 0.50', uptimeAfter: 'up 1 day, load average: 2.00, 1.20, 0.60' },
  suites: [suite],
  failures: [{ suite: 'gossip', message: 'node n2 exited' }],
}

describe('suite reports', () => {
  it('formats numbers for reading, with a dash for what was not measured', () => {
    expect(fmtInt(12345.6)).toBe('12,346')
    expect(fmtInt(undefined)).toBe('–')
    expect(fmtNum(NaN)).toBe('–')
    expect(fmtNum(1.234, 1)).toBe('1.2')
    expect(fmtPct(0.0123)).toBe('1.23%')
    expect(fmtBytes(999)).toBe('999 B')
    expect(fmtBytes(14_230)).toBe('14.2 kB')
    expect(fmtBytes(2_500_000)).toBe('2.50 MB')
  })

  it('right-aligns numeric columns in Markdown and escapes pipes in cells', () => {
    const md = markdownTable(suite.tables[0]!)
    expect(md.split('\n')[1]).toBe('|---|---:|---:|')
    expect(md).toContain('| a \\| b | 12,345 | 1.50 |')
  })

  it('prints tables as aligned text on the terminal', () => {
    const lines = textTable(suite.tables[0]!).split('\n')
    expect(lines[0]).toBe('Numbers')
    expect(lines[1]).toBe('name   req/s   p99 ms')
    expect(lines[3]).toBe('a | b  12,345  1.50')
    expect(lines.at(-1)).toBe('a note under the table')
  })

  it('puts the command, the load average before and after, the summary and failures at the top of the run report', () => {
    const md = markdownRun(run)
    expect(md).toContain('Command: `meliproxy bench demo`')
    expect(md).toContain('before: 1.5 / 1 / 0.5; after: 2 / 1.2 / 0.6')
    expect(md).toContain('`uptime` after: `up 1 day, load average: 2.00, 1.20, 0.60`')
    expect(md.indexOf('## Summary')).toBeLessThan(md.indexOf('## Demo suite'))
    expect(md).toContain('- Demo: 12,345 req/s (`demo`).')
    expect(md).toContain('- Suite `gossip` failed: node n2 exited')
    expect(md).toContain('![req/s](demo-rps.svg)')
  })

  it('writes each suite\'s JSON, Markdown and charts, and the run\'s report; the JSON names charts without their SVG', async () => {
    const files = await writeRun(run, join(dir, 'run'))
    expect(files.map((f) => f.slice(f.lastIndexOf('/') + 1)).sort()).toEqual(['demo-rps.svg', 'demo.json', 'demo.md', 'report.json', 'report.md'])
    const json = JSON.parse(readFileSync(join(dir, 'run', 'demo.json'), 'utf8')) as SuiteResult
    expect(json.data).toEqual({ answer: 42 })
    expect(json.charts).toEqual([{ file: 'demo-rps.svg', title: 'req/s' }])
    expect(readFileSync(join(dir, 'run', 'demo-rps.svg'), 'utf8')).toBe(suite.charts[0]!.svg)
    expect(readFileSync(join(dir, 'run', 'demo.md'), 'utf8')).toMatch(/^# Demo suite/)
    const report = JSON.parse(readFileSync(join(dir, 'run', 'report.json'), 'utf8')) as RunReport
    expect(report.failures).toEqual(run.failures)
    expect(JSON.stringify(report)).not.toContain('<svg')
  })
})
