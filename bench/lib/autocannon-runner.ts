// Runs autocannon in this process with its `workers` option (worker threads, so the generator is not
// one busy JavaScript thread), and maps its result to a LoadResult. autocannon has no typings; the
// small slice of its API used here is declared below.
import { createRequire } from 'node:module'
import { LoadRunError } from './errors.js'
import type { LoadResult, ResolvedLoadOptions } from './load.js'

interface AutocannonResult {
  duration: number
  errors: number
  timeouts: number
  non2xx: number
  statusCodeStats: Record<string, { count: number }>
  latency: { p50: number; p90: number; p99: number; p99_9: number; mean: number; max: number }
  requests: { total: number }
  throughput: { total: number }
}

type Autocannon = (opts: Record<string, unknown>) => PromiseLike<AutocannonResult>

const require = createRequire(import.meta.url)

export async function runAutocannon(opts: ResolvedLoadOptions): Promise<Omit<LoadResult, 'timeline'>> {
  const autocannon = require('autocannon') as Autocannon
  const acOpts: Record<string, unknown> = {
    url: opts.origin,
    connections: opts.connections,
    duration: opts.durationSec,
    timeout: opts.timeoutSec,
    requests: opts.paths.map((path) => ({ method: opts.method, path, headers: opts.headers })),
  }
  // workers: 1 would still be one extra thread; only ask for threads when there is more than one.
  if (opts.threads > 1) acOpts.workers = opts.threads
  let r: AutocannonResult
  try {
    r = await autocannon(acOpts)
  } catch (err) {
    throw new LoadRunError(`autocannon failed: ${(err as Error).message}`)
  }
  return autocannonResult(opts, r)
}

export function autocannonResult(opts: Pick<ResolvedLoadOptions, 'label' | 'urls' | 'connections' | 'threads'>, r: AutocannonResult): Omit<LoadResult, 'timeline'> {
  const seconds = r.duration
  const statusCounts: Record<string, number> = {}
  for (const [code, s] of Object.entries(r.statusCodeStats)) statusCounts[code] = s.count
  return {
    label: opts.label,
    tool: 'autocannon',
    urls: [...opts.urls],
    connections: opts.connections,
    threads: opts.threads,
    durationSec: seconds,
    requests: r.requests.total,
    requestsPerSec: seconds > 0 ? r.requests.total / seconds : 0,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, p999: r.latency.p99_9, mean: r.latency.mean, max: r.latency.max },
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    statusCounts,
    bytesPerSec: seconds > 0 ? r.throughput.total / seconds : 0,
  }
}
