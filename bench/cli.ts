// `meliproxy bench` (bin/meliproxy.js routes here; `npm run bench` builds first): runs the named suites in order
// over one shared origin and cluster, prints each suite's tables as it finishes, and writes everything under
// bench/results/<timestamp>/ (report.md is the whole run). A suite that fails is reported and the others still
// run; the exit code is then 1. Usage errors exit 2.
import { execFileSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { BenchContext } from './lib/bench-context.js'
import { loadBenchConfig } from './lib/bench-config.js'
import { parseBenchArgs, USAGE, type SuiteName } from './lib/bench-options.js'
import { BenchConfigError, BenchUsageError } from './lib/errors.js'
import { defaultResultsDir, machineInfo, timestampName } from './lib/report.js'
import { textTable, writeRun, type RunReport, type SuiteResult } from './lib/suite-report.js'
import { runAccuracySuite } from './suites/accuracy.js'
import { runCostSuite, startCostClustersEarly } from './suites/cost.js'
import { runGossipSuite } from './suites/gossip.js'
import { runScaleSuite } from './suites/scale.js'
import { runThroughputSuite } from './suites/throughput.js'

const RUNNERS: Record<SuiteName, (ctx: BenchContext) => Promise<SuiteResult>> = {
  throughput: runThroughputSuite,
  cost: runCostSuite,
  gossip: runGossipSuite,
  accuracy: runAccuracySuite,
  scale: runScaleSuite,
}

export interface BenchIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim()
  } catch {
    return `load average: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`
  }
}

/** Runs `meliproxy bench <argv>`; resolves with the exit code (0 ok, 1 a suite failed, 2 usage or config error). */
export async function runBench(argv: string[], io: BenchIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let parsed
  let config
  try {
    parsed = parseBenchArgs(argv)
    if (parsed.help) {
      io.stdout.write(USAGE)
      return 0
    }
    config = loadBenchConfig(parsed.options.configFile)
  } catch (err) {
    if (err instanceof BenchUsageError) {
      io.stderr.write(`meliproxy bench: ${err.message}\n\n${USAGE}`)
      return 2
    }
    if (err instanceof BenchConfigError) {
      io.stderr.write(`meliproxy bench: ${err.message}\n`)
      return 2
    }
    throw err
  }
  const options = parsed.options
  const startedAt = new Date()
  const uptimeBefore = uptime()
  const machine = machineInfo()
  const ctx = new BenchContext(options, config)
  io.stderr.write(`meliproxy bench ${options.suites.join(' ')}${options.quick ? ' (quick)' : ''}: ${ctx.nodeCount} node(s), ${ctx.tool}, ${uptimeBefore}\n`)
  for (const line of config.ignored) io.stderr.write(`  bench config: ignored ${line}\n`)
  // Every process the run needs starts now, in parallel: starting is most of a quick run.
  if (options.suites.some((s) => s === 'throughput' || s === 'gossip' || s === 'accuracy')) ctx.startEarly()
  if (options.suites.includes('cost')) startCostClustersEarly(ctx)
  const suites: SuiteResult[] = []
  const failures: RunReport['failures'] = []
  // Ctrl-C (or a CI timeout) must not leave the origin, nodes or nginx running.
  const onSignal = (signal: NodeJS.Signals): void => {
    io.stderr.write(`\nmeliproxy bench: ${signal}: stopping what the run started\n`)
    void ctx.close().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    for (const name of options.suites) {
      try {
        const result = await RUNNERS[name](ctx)
        suites.push(result)
        io.stdout.write(`\n${result.tables.map(textTable).join('\n\n')}\n`)
        for (const note of result.notes) io.stdout.write(`note: ${note}\n`)
      } catch (err) {
        const message = (err as Error).message ?? String(err)
        failures.push({ suite: name, message })
        io.stderr.write(`meliproxy bench: suite ${name} failed: ${(err as Error).stack ?? message}\n`)
      }
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await ctx.close()
  }
  const report: RunReport = {
    command: `meliproxy bench ${argv.join(' ')}`.trim(),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { ...machine, loadAverageAfter: loadavg().map((l) => Math.round(l * 100) / 100), uptimeBefore, uptimeAfter: uptime() },
    suites,
    failures,
  }
  const dir = join(options.resultsDir ?? defaultResultsDir(), timestampName(startedAt))
  await writeRun(report, dir)
  io.stdout.write('\nSummary\n')
  for (const s of suites) for (const line of s.headline) io.stdout.write(`- ${line}\n`)
  for (const f of failures) io.stdout.write(`- suite ${f.suite} FAILED: ${f.message}\n`)
  io.stdout.write(`results: ${dir} (report.md)\n`)
  return failures.length === 0 ? 0 : 1
}
