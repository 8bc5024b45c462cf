// Suite: the local origin alone, and nginx proxying the same origin, under the same load in the same
// sitting. It answers two questions the proxy benchmarks depend on: how fast is the origin (it must
// not be the bottleneck of a proxy in front of it), and what does the nginx baseline reach on this
// machine today (absolute numbers drift between sittings; compare ratios within one run).
//
//   npx tsx bench/suites/origin-vs-nginx.ts [--quick] [--duration S] [--rounds N] [--connections N]
//        [--tool auto|wrk|autocannon] [--threads N] [--nginx-workers N] [--limits] [--no-pin] [--results DIR]
//
// With two or more CPUs the measured server gets the last CPU to itself: the origin when measured
// alone; nginx's worker when nginx is measured, the origin then moving to the other CPUs with the
// load generator. Rounds alternate targets (origin, nginx, ...) so drift hits both; each row reports
// the median round.
import { parseArgs } from 'node:util'
import { defaultCpuSplit, pinProcess } from '../lib/cpu-pinning.js'
import { isEntryPoint } from '../lib/entry-point.js'
import { runLoad, wrkAvailable, type LoadOptions, type LoadResult } from '../lib/load.js'
import { startNginx, type RunningNginx } from '../lib/nginx.js'
import type { NginxLimitRule } from '../lib/nginx-config.js'
import { startOriginProcess, type OriginProcess } from '../lib/origin-process.js'
import { processFamily, totalCpuSeconds } from '../lib/process-cpu.js'
import { machineInfo, writeReport, type BenchReport, type ReportRow } from '../lib/report.js'

/** A Meli-like mix: the recorded category, generated categories, items, users, a site and a search (0.6–3 KB). */
export const MELI_PATHS = [
  '/categories/MLA97994',
  '/items/MLA600000123',
  '/categories/MLA1055',
  '/items/MLA811601010',
  '/users/202593498',
  '/items/MLB1234567',
  '/categories/MLA1051',
  '/sites/MLA',
  '/items/MLA700000001',
  '/sites/MLA/search?q=iphone',
  '/users/59051525',
  '/categories/MLB5672',
]

/** cluster.yml's rule shapes with limits far above any load here: nginx pays for every zone, rejects nothing. */
export const NEVER_HIT_LIMITS: NginxLimitRule[] = [
  { id: 'ip-152', match: { ip: '152.152.152.152' }, limit: 100_000_000, per: 'minute' },
  { id: 'categories', match: { pathPrefix: '/categories/' }, limit: 100_000_000, per: 'minute' },
  { id: 'ip-152-items', match: { ip: '152.152.152.152', pathPrefix: '/items/' }, limit: 100_000_000, per: 'minute' },
  { id: 'per-ip', by: ['ip'], limit: 100_000_000, per: 'minute' },
]

export interface OriginVsNginxOptions {
  durationSec: number
  rounds: number
  warmupSec: number
  connections: number
  tool: 'auto' | 'wrk' | 'autocannon'
  threads: number
  nginxWorkers: number
  withLimits: boolean
  pin: boolean
  resultsDir?: string
}

interface Run {
  result: LoadResult
  cpuUsPerRequest: Record<string, number>
}

interface Target {
  name: string
  baseUrl: string
  /** CPU placement for this target's rounds. */
  place(): Promise<void>
  /** Server-side processes whose CPU time per request is reported, by name. */
  processes: Record<string, () => number[]>
  runs: Run[]
}

function median(runs: Run[]): Run {
  const sorted = [...runs].sort((a, b) => a.result.requestsPerSec - b.result.requestsPerSec)
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}

/** Runs `load` and measures the CPU time the target's processes spent per completed request. */
async function measured(t: Target, load: () => Promise<LoadResult>): Promise<Run> {
  const groups = Object.entries(t.processes).map(([name, pids]) => ({ name, pids: pids() }))
  const before = groups.map((g) => totalCpuSeconds(g.pids))
  const result = await load()
  const cpuUsPerRequest: Record<string, number> = {}
  groups.forEach((g, i) => {
    const after = totalCpuSeconds(g.pids)
    const start = before[i]
    if (after !== undefined && start !== undefined && result.requests > 0) cpuUsPerRequest[g.name] = ((after - start) * 1e6) / result.requests
  })
  return { result, cpuUsPerRequest }
}

function line(r: LoadResult, cpu: Record<string, number> = {}): string {
  const cpuText = Object.entries(cpu).map(([k, v]) => `${k} ${v.toFixed(1)} µs CPU/req`).join(', ')
  return `${Math.round(r.requestsPerSec).toLocaleString('en-US')} req/s, p99 ${r.latencyMs.p99.toFixed(2)} ms, errors ${r.errors}, non-2xx ${r.non2xx}${cpuText === '' ? '' : `, ${cpuText}`}`
}

export async function runOriginVsNginx(o: OriginVsNginxOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString()
  const machine = machineInfo()
  const split = o.pin ? defaultCpuSplit(machine.cpus) : undefined
  const tool = o.tool === 'auto' ? (wrkAvailable() ? 'wrk' : 'autocannon') : o.tool
  const notes: string[] = []
  if (o.pin && split === undefined) notes.push('one CPU: nothing pinned')
  if (split !== undefined) notes.push(`measured server on CPU ${split.server}; load generator (and the origin, when nginx is measured) on CPU ${split.rest}`)
  if (tool === 'autocannon' && split !== undefined) notes.push('autocannon runs inside this process, which is not pinned')

  let origin: OriginProcess | undefined
  let nginx: RunningNginx | undefined
  let nginxLimited: RunningNginx | undefined
  try {
    origin = await startOriginProcess(split === undefined ? {} : { cpus: split.server })
    const o1 = origin
    process.stderr.write(`origin on ${o1.url} (pid ${o1.pid})\n`)
    const targets: Target[] = [
      {
        name: 'origin alone',
        baseUrl: o1.url,
        place: async () => {
          if (split !== undefined) await pinProcess(o1.pid, split.server)
        },
        processes: { origin: () => [o1.pid] },
        runs: [],
      },
    ]
    // An idle pool smaller than the client connections makes nginx open and close upstream connections
    // under load (measured: +40% origin CPU per request with 64 for 100 clients), so the pool matches the load.
    const nginxTuning = { upstreamKeepalive: Math.max(64, o.connections), ...(split !== undefined && o.nginxWorkers === 1 ? { cpuAffinity: [Number(split.server)] } : {}) }
    const placeBehindNginx = async (): Promise<void> => {
      if (split !== undefined) await pinProcess(o1.pid, split.rest)
    }
    const started = await startNginx({ upstream: { host: '127.0.0.1', port: o1.port }, workers: o.nginxWorkers, ...nginxTuning })
    if (started.ok) {
      nginx = started.nginx
      process.stderr.write(`nginx ${nginx.version} on ${nginx.url} (${o.nginxWorkers} worker${o.nginxWorkers === 1 ? '' : 's'})\n`)
      const n = nginx
      targets.push({ name: `nginx → origin (${o.nginxWorkers}w, keepalive)`, baseUrl: n.url, place: placeBehindNginx, processes: { nginx: () => processFamily(n.pid), origin: () => [o1.pid] }, runs: [] })
    } else notes.push(`nginx baseline skipped: ${started.reason}: ${started.message}`)
    if (o.withLimits && started.ok) {
      const limited = await startNginx({ upstream: { host: '127.0.0.1', port: o1.port }, workers: o.nginxWorkers, limits: NEVER_HIT_LIMITS, ...nginxTuning })
      if (limited.ok) {
        nginxLimited = limited.nginx
        const n = nginxLimited
        targets.push({ name: `nginx + limit_req → origin (${o.nginxWorkers}w)`, baseUrl: n.url, place: placeBehindNginx, processes: { nginx: () => processFamily(n.pid), origin: () => [o1.pid] }, runs: [] })
      } else notes.push(`nginx with limit_req skipped: ${limited.reason}: ${limited.message}`)
    }

    const load = (t: Target, durationSec: number, label: string): Promise<LoadResult> => {
      const opts: LoadOptions = {
        urls: MELI_PATHS.map((p) => `${t.baseUrl}${p}`),
        durationSec,
        connections: o.connections,
        tool,
        threads: o.threads,
        label,
        probe: () => o1.requestsServed(),
      }
      if (split !== undefined) opts.generatorCpus = split.rest
      return runLoad(opts)
    }

    if (o.warmupSec > 0) {
      for (const t of targets) {
        await t.place()
        await load(t, o.warmupSec, `warm-up ${t.name}`)
      }
    }
    for (let round = 1; round <= o.rounds; round++) {
      for (const t of targets) {
        await t.place()
        const run = await measured(t, () => load(t, o.durationSec, `${t.name} #${round}`))
        t.runs.push(run)
        process.stderr.write(`round ${round}/${o.rounds} ${t.name}: ${line(run.result, run.cpuUsPerRequest)}\n`)
      }
    }

    const rows: ReportRow[] = targets.map((t) => {
      const m = median(t.runs)
      return { name: t.name, result: m.result, rounds: t.runs.map((r) => Math.round(r.result.requestsPerSec)), cpuUsPerRequest: m.cpuUsPerRequest }
    })
    const base = rows[0]!.result
    const baseCpu = rows[0]!.cpuUsPerRequest?.origin
    const comparisons = rows.slice(1).flatMap((row) => {
      const out = [
        { name: `${row.name} vs origin alone (req/s)`, ratio: row.result.requestsPerSec / base.requestsPerSec },
        { name: `${row.name} vs origin alone (p99)`, ratio: row.result.latencyMs.p99 / Math.max(base.latencyMs.p99, 1e-3) },
      ]
      const cpu = row.cpuUsPerRequest?.nginx
      if (cpu !== undefined && baseCpu !== undefined) out.push({ name: `${row.name}: nginx CPU per request vs origin alone's`, ratio: cpu / baseCpu })
      return out
    })
    if (baseCpu !== undefined) notes.push(`origin alone: ${baseCpu.toFixed(1)} µs of CPU per request, about ${Math.round(1e6 / baseCpu).toLocaleString('en-US')} req/s on one fully used core`)
    return {
      suite: 'origin-vs-nginx',
      startedAt,
      machine,
      settings: { tool, durationSec: o.durationSec, rounds: o.rounds, warmupSec: o.warmupSec, connections: o.connections, threads: o.threads, nginxWorkers: o.nginxWorkers, pinned: split !== undefined, urls: MELI_PATHS.length },
      rows,
      comparisons,
      notes,
    }
  } finally {
    await nginxLimited?.stop()
    await nginx?.stop()
    await origin?.stop()
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string', default: '100' },
      tool: { type: 'string', default: 'auto' },
      threads: { type: 'string', default: '1' },
      'nginx-workers': { type: 'string', default: '1' },
      limits: { type: 'boolean', default: false },
      'no-pin': { type: 'boolean', default: false },
      results: { type: 'string' },
    },
    strict: true,
  })
  const int = (name: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback
    if (!/^\d+$/.test(text) || Number(text) < 1) throw new Error(`--${name}: ${JSON.stringify(text)} is not a positive integer`)
    return Number(text)
  }
  if (values.tool !== 'auto' && values.tool !== 'wrk' && values.tool !== 'autocannon') throw new Error(`--tool: ${JSON.stringify(values.tool)} is not auto, wrk or autocannon`)
  const opts: OriginVsNginxOptions = {
    durationSec: int('duration', values.duration, values.quick ? 5 : 10),
    rounds: int('rounds', values.rounds, values.quick ? 1 : 3),
    warmupSec: values.quick ? 1 : 3,
    connections: int('connections', values.connections, 100),
    tool: values.tool,
    threads: int('threads', values.threads, 1),
    nginxWorkers: int('nginx-workers', values['nginx-workers'], 1),
    withLimits: values.limits,
    pin: !values['no-pin'],
  }
  if (values.results !== undefined) opts.resultsDir = values.results
  const report = await runOriginVsNginx(opts)
  const written = await writeReport(report, opts.resultsDir === undefined ? {} : { resultsDir: opts.resultsDir })
  process.stdout.write(`\norigin-vs-nginx (${report.settings.tool}, ${opts.connections} connections, ${opts.durationSec} s × ${opts.rounds} round(s), median):\n`)
  for (const row of report.rows) process.stdout.write(`  ${row.name.padEnd(38)} ${line(row.result, row.cpuUsPerRequest)}\n`)
  for (const c of report.comparisons) process.stdout.write(`  ${c.name.padEnd(60)} ${c.ratio.toFixed(2)}\n`)
  for (const n of report.notes) process.stdout.write(`  note: ${n}\n`)
  process.stdout.write(`results: ${written.dir}\n`)
  return 0
}

if (isEntryPoint(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`origin-vs-nginx: ${(err as Error).message}\n`)
      process.exitCode = 1
    },
  )
}
