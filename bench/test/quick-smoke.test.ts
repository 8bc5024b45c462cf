// The CI smoke test of `meliproxy bench --quick`: every suite runs against real processes (origin, nodes from the
// build, nginx and wrk when installed) and the run writes its report files. Numbers are never asserted here: on a
// shared machine they mean nothing in a test (bench/RESULTS.md holds a real run). Needs `npm run build` (npm test
// runs it first).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runBench } from '../cli.js'

const resultsDir = mkdtempSync(join(tmpdir(), 'meliproxy-bench-smoke-'))

afterAll(() => {
  rmSync(resultsDir, { recursive: true, force: true })
})

function sink(): { stream: NodeJS.WritableStream; text: () => string } {
  const chunks: string[] = []
  return { stream: { write: (s: string) => chunks.push(s) } as unknown as NodeJS.WritableStream, text: () => chunks.join('') }
}

describe('meliproxy bench --quick', () => {
  it('runs every suite and writes the run report, each suite\'s results and charts', async () => {
    const out = sink()
    const err = sink()
    const started = Date.now()
    const code = await runBench(['all', '--quick', '--results', resultsDir], { stdout: out.stream, stderr: err.stream })
    const seconds = (Date.now() - started) / 1000
    expect(code, `exit code; stderr:\n${err.text().slice(-3000)}`).toBe(0)
    const runs = readdirSync(resultsDir)
    expect(runs).toHaveLength(1)
    const dir = join(resultsDir, runs[0]!)
    for (const suite of ['throughput', 'cost', 'gossip', 'accuracy', 'scale']) {
      expect(existsSync(join(dir, `${suite}.json`)), `${suite}.json`).toBe(true)
      expect(existsSync(join(dir, `${suite}.md`)), `${suite}.md`).toBe(true)
      const json = JSON.parse(readFileSync(join(dir, `${suite}.json`), 'utf8')) as { suite: string; tables: unknown[]; charts: Array<{ file: string }> }
      expect(json.suite).toBe(suite)
      expect(json.tables.length).toBeGreaterThan(0)
      for (const chart of json.charts) expect(readFileSync(join(dir, chart.file), 'utf8')).toMatch(/^<svg /)
    }
    const report = readFileSync(join(dir, 'report.md'), 'utf8')
    expect(report).toContain('Command: `meliproxy bench all --quick --results')
    expect(report).toContain('## Summary')
    expect(report).toMatch(/Load average \(1\/5\/15 min\) before: .*; after: /)
    // What a user sees on the terminal: the tables and where the results went.
    expect(out.text()).toContain('Summary')
    expect(out.text()).toContain(`results: ${dir}`)
    // The budget CI gives it (printed, not asserted: the machine may be shared).
    process.stdout.write(`bench --quick took ${seconds.toFixed(1)} s\n`)
  }, 120_000)
})
