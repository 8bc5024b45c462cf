import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { LoadResult } from '../lib/load.js'
import { markdownReport, timestampName, writeReport, type BenchReport } from '../lib/report.js'
import { barChartSvg, lineChartSvg } from '../lib/svg-chart.js'

function result(label: string, rps: number, p99: number, timeline: LoadResult['timeline'] = []): LoadResult {
  return {
    label,
    tool: 'wrk',
    urls: ['http://127.0.0.1:1/a'],
    connections: 100,
    threads: 1,
    durationSec: 10,
    requests: rps * 10,
    requestsPerSec: rps,
    latencyMs: { p50: 1, p90: 2, p99, p999: p99 * 2, mean: 1.2, max: 50 },
    errors: 0,
    timeouts: 0,
    non2xx: 3,
    bytesPerSec: 5e6,
    timeline,
  }
}

const report: BenchReport = {
  suite: 'demo',
  startedAt: '2026-11-27T23:59:01.123Z',
  machine: { cpus: 2, cpuModel: 'X', node: 'v20', platform: 'linux/x64', loadAverage: [1, 2, 3] },
  settings: { tool: 'wrk', rounds: 3 },
  rows: [
    { name: 'origin <alone>', result: result('o', 40000, 3.5, [{ second: 1, requestsPerSec: 39000 }, { second: 2, requestsPerSec: 41000 }]), rounds: [39000, 40000, 41000], cpuUsPerRequest: { origin: 14.25 } },
    { name: 'nginx → origin', result: result('n', 20000, 9.25) },
  ],
  comparisons: [{ name: 'nginx vs origin (req/s)', ratio: 0.5 }],
  notes: ['pinned'],
}

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('report', () => {
  it('writes JSON, Markdown and SVG charts under <resultsDir>/<timestamp>/', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bench-report-'))
    dirs.push(root)
    const { dir, files } = await writeReport(report, { resultsDir: root })
    expect(dir).toBe(join(root, '2026-11-27T23-59-01Z'))
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(['demo-p99.svg', 'demo-rps.svg', 'demo-timeline.svg', 'demo.json', 'demo.md'])
    expect(JSON.parse(readFileSync(join(dir, 'demo.json'), 'utf8'))).toEqual(report)
    const md = readFileSync(join(dir, 'demo.md'), 'utf8')
    expect(md).toContain('| origin <alone> | wrk | 100 | 40,000 | 1.00 | 2.00 | 3.50 | 7.00 | 0 | 3 | 5.0 | origin 14.3 | 39,000, 40,000, 41,000 |')
    expect(md).toContain('| nginx vs origin (req/s) | 0.50 |')
    expect(md).toContain('![target rate per second](demo-timeline.svg)')
  })

  it('leaves out the timeline chart when no run had a probe', () => {
    const md = markdownReport({ ...report, rows: [report.rows[1]!] })
    expect(md).not.toContain('timeline')
  })

  it('draws bars proportional to the values and escapes labels', () => {
    const svg = barChartSvg('t', 'req/s', [{ label: 'a <b> & "c"', value: 100 }, { label: 'd', value: 50 }])
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg.trim().endsWith('</svg>')).toBe(true)
    expect(svg).toContain('a &lt;b&gt; &amp; &quot;c&quot;')
    const widths = [...svg.matchAll(/<rect x="\d+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]))
    expect(widths).toHaveLength(2)
    expect(widths[0]! / widths[1]!).toBeCloseTo(2, 5)
    const line = lineChartSvg('t', 'x', 'y', [{ name: 's', points: [[0, 0], [1, 10], [2, 5]] }])
    expect(line).toMatch(/<path d="M[\d.]+,[\d.]+ L[\d.]+,[\d.]+ L[\d.]+,[\d.]+"/)
  })

  it('names result directories after the start time', () => {
    expect(timestampName(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03-04-05Z')
  })
})
