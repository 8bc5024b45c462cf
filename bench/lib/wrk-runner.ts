// Runs wrk as a child process (optionally pinned with taskset) with the generated Lua script and maps
// its output to a LoadResult. The script's JSON line gives exact numbers; the text summary is only a
// fallback for fields the line lacks.
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { withCpus } from './cpu-pinning.js'
import { LoadRunError } from './errors.js'
import { findExecutable } from './executables.js'
import type { LoadResult, ResolvedLoadOptions } from './load.js'
import { parseWrkOutput, type WrkParsed } from './wrk-output.js'
import { wrkScript } from './wrk-script.js'

/** Hard cap on what we keep of wrk's output (it prints a few hundred bytes; anything more is a fault). */
const MAX_OUTPUT_BYTES = 1024 * 1024

export async function runWrk(opts: ResolvedLoadOptions): Promise<Omit<LoadResult, 'timeline'>> {
  const wrk = findExecutable('wrk')
  if (wrk === undefined) throw new LoadRunError('wrk is not installed (Debian: apt-get install -y wrk); use tool "autocannon"')
  if (opts.connections < opts.threads) throw new LoadRunError(`wrk needs connections (${opts.connections}) ≥ threads (${opts.threads})`)
  const dir = await mkdtemp(join(tmpdir(), 'meliproxy-wrk-'))
  try {
    const script = join(dir, 'load.lua')
    await writeFile(script, wrkScript({ paths: opts.paths, method: opts.method, headers: opts.headers, countStatuses: opts.countStatuses }))
    const args = ['-t', String(opts.threads), '-c', String(opts.connections), '-d', `${opts.durationSec}s`, '--timeout', `${opts.timeoutSec}s`, '--latency', '-s', script, opts.origin]
    const [command, argv] = withCpus(wrk, args, opts.generatorCpus)
    const { code, stdout, stderr } = await run(command, argv)
    if (code !== 0) throw new LoadRunError(`wrk exited with ${code}: ${(stderr || stdout).trim().slice(0, 500)}`)
    return wrkResult(opts, parseWrkOutput(stdout))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Maps parsed wrk output to the common result (exported for tests). */
export function wrkResult(opts: Pick<ResolvedLoadOptions, 'label' | 'urls' | 'connections' | 'threads'>, parsed: WrkParsed): Omit<LoadResult, 'timeline'> {
  const { summary, json } = parsed
  const base = { label: opts.label, tool: 'wrk' as const, urls: [...opts.urls], connections: opts.connections, threads: opts.threads }
  if (json !== undefined) {
    const seconds = json.duration_us / 1e6
    const e = json.errors
    const result: Omit<LoadResult, 'timeline'> = {
      ...base,
      durationSec: seconds,
      requests: json.requests,
      requestsPerSec: seconds > 0 ? json.requests / seconds : 0,
      latencyMs: {
        p50: json.latency_us.p50 / 1000,
        p90: json.latency_us.p90 / 1000,
        p99: json.latency_us.p99 / 1000,
        p999: json.latency_us.p999 / 1000,
        mean: json.latency_us.mean / 1000,
        max: json.latency_us.max / 1000,
      },
      errors: e.connect + e.read + e.write + e.timeout,
      timeouts: e.timeout,
      non2xx: e.status,
      bytesPerSec: seconds > 0 ? json.bytes / seconds : 0,
    }
    if (json.statuses !== undefined) result.statusCounts = json.statuses
    return result
  }
  const l = summary.latencyMs
  const s = summary.socketErrors
  return {
    ...base,
    durationSec: summary.durationSec,
    requests: summary.requests,
    requestsPerSec: summary.requestsPerSec,
    // Without the script line wrk prints no p99.9; its max is the honest upper bound.
    latencyMs: { p50: l.p50 ?? l.mean, p90: l.p90 ?? l.max, p99: l.p99 ?? l.max, p999: l.max, mean: l.mean, max: l.max },
    errors: s.connect + s.read + s.write + s.timeout,
    timeouts: s.timeout,
    non2xx: summary.non2xx3xx,
    bytesPerSec: summary.bytesPerSec,
  }
}

function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < MAX_OUTPUT_BYTES) stdout += d.toString('utf8')
    })
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < MAX_OUTPUT_BYTES) stderr += d.toString('utf8')
    })
    child.on('error', (err) => reject(new LoadRunError(`could not start ${command}: ${err.message}`)))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
