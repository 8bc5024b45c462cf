// One entry point for load generation: runLoad() drives wrk when it is installed (a C generator, so it
// is rarely the bottleneck) and autocannon with worker threads otherwise, and returns the same
// LoadResult either way. While it runs it prints one progress line per second; with a `probe` (a
// cumulative request counter of the target, e.g. the origin's /__origin/events total) that line shows
// the target's rate, and the per-second rates are kept as a timeline for the report's line chart.
import { runAutocannon } from './autocannon-runner.js'
import { BenchOptionsError } from './errors.js'
import { findExecutable } from './executables.js'
import { runWrk } from './wrk-runner.js'

export type LoadTool = 'wrk' | 'autocannon'

export interface LoadOptions {
  /** Absolute URLs on one origin (same scheme, host and port); requests cycle through them in order. */
  urls: readonly string[]
  durationSec: number
  connections: number
  /** 'auto' (default): wrk when installed, else autocannon. */
  tool?: 'auto' | LoadTool
  /** wrk threads or autocannon worker threads (default 1). */
  threads?: number
  method?: string
  headers?: Readonly<Record<string, string>>
  /** Count responses per status. wrk then parses every response in Lua, which lowers its ceiling. */
  countStatuses?: boolean
  /** Per-request timeout in seconds (default 10). */
  timeoutSec?: number
  /** taskset CPU list for the generator process (wrk only; autocannon runs in this process). */
  generatorCpus?: string
  /** Name shown in progress lines and reports (default: the first URL). */
  label?: string
  /** Cumulative count of requests the target has served; polled once per second. */
  probe?: () => Promise<number>
  /** Where progress lines go (default process.stderr); null for none. */
  progress?: NodeJS.WritableStream | null
}

export interface LatencyMs {
  p50: number
  p90: number
  p99: number
  p999: number
  mean: number
  max: number
}

export interface LoadResult {
  label: string
  tool: LoadTool
  urls: string[]
  connections: number
  threads: number
  /** Measured run time in seconds. */
  durationSec: number
  /** Completed requests. */
  requests: number
  requestsPerSec: number
  latencyMs: LatencyMs
  /** Connect, read and write errors and timeouts. */
  errors: number
  timeouts: number
  /** wrk: responses with status ≥ 400; autocannon: responses that are not 2xx. */
  non2xx: number
  /** Per status code, when countStatuses was set (always filled by autocannon). */
  statusCounts?: Record<string, number>
  bytesPerSec: number
  /** Target rate per second from `probe` (empty without one). */
  timeline: Array<{ second: number; requestsPerSec: number }>
}

/** What runWrk/runAutocannon receive: options validated and defaults filled. */
export interface ResolvedLoadOptions {
  urls: string[]
  origin: string
  paths: string[]
  durationSec: number
  connections: number
  threads: number
  method: string
  headers: Record<string, string>
  countStatuses: boolean
  timeoutSec: number
  generatorCpus: string | undefined
  label: string
}

export function wrkAvailable(): boolean {
  return findExecutable('wrk') !== undefined
}

export function resolveLoadOptions(opts: LoadOptions): ResolvedLoadOptions {
  if (opts.urls.length === 0) throw new BenchOptionsError('urls: empty; give at least one URL')
  const parsed = opts.urls.map((u) => {
    try {
      return new URL(u)
    } catch {
      throw new BenchOptionsError(`urls: ${JSON.stringify(u)} is not an absolute URL`)
    }
  })
  const origin = parsed[0]!.origin
  for (const u of parsed) if (u.origin !== origin) throw new BenchOptionsError(`urls: ${u.href} is not on ${origin}; all URLs of one run must share scheme, host and port`)
  const positiveInt = (name: string, v: number, max: number): number => {
    if (!Number.isSafeInteger(v) || v < 1 || v > max) throw new BenchOptionsError(`${name}: ${v} is not an integer in 1..${max}`)
    return v
  }
  return {
    urls: parsed.map((u) => u.href),
    origin,
    paths: parsed.map((u) => `${u.pathname}${u.search}`),
    durationSec: positiveInt('durationSec', opts.durationSec, 86_400),
    connections: positiveInt('connections', opts.connections, 100_000),
    threads: positiveInt('threads', opts.threads ?? 1, 256),
    method: opts.method ?? 'GET',
    headers: { ...(opts.headers ?? {}) },
    countStatuses: opts.countStatuses ?? false,
    timeoutSec: positiveInt('timeoutSec', opts.timeoutSec ?? 10, 3600),
    generatorCpus: opts.generatorCpus,
    label: opts.label ?? parsed[0]!.href,
  }
}

/** Runs one load and resolves with its result; rejects with LoadRunError when the tool fails. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const resolved = resolveLoadOptions(opts)
  const tool: LoadTool = opts.tool === undefined || opts.tool === 'auto' ? (wrkAvailable() ? 'wrk' : 'autocannon') : opts.tool
  const out = opts.progress === undefined ? process.stderr : opts.progress
  const timeline: LoadResult['timeline'] = []
  const progress = startProgress(resolved, tool, out, opts.probe, timeline)
  try {
    const result = tool === 'wrk' ? await runWrk(resolved) : await runAutocannon(resolved)
    return { ...result, timeline }
  } finally {
    await progress.stop()
  }
}

interface Progress {
  stop(): Promise<void>
}

function startProgress(opts: ResolvedLoadOptions, tool: LoadTool, out: NodeJS.WritableStream | null, probe: (() => Promise<number>) | undefined, timeline: LoadResult['timeline']): Progress {
  const started = Date.now()
  let last: { at: number; count: number } | undefined
  let inFlight: Promise<void> = Promise.resolve()
  const read = (): void => {
    if (probe === undefined) return
    inFlight = probe().then(
      (count) => {
        const at = Date.now()
        if (last !== undefined && at > last.at) {
          const rate = ((count - last.count) * 1000) / (at - last.at)
          timeline.push({ second: Math.round((at - started) / 1000), requestsPerSec: Math.round(rate) })
        }
        last = { at, count }
      },
      () => undefined, // a failed probe only costs one progress value
    )
  }
  read()
  const timer = setInterval(() => {
    const elapsed = Math.round((Date.now() - started) / 1000)
    const rate = timeline.at(-1)
    if (out !== null) {
      const target = rate !== undefined && rate.second >= elapsed - 1 ? `  target ≈ ${rate.requestsPerSec.toLocaleString('en-US')} req/s` : ''
      out.write(`  [${opts.label}] ${tool} ${elapsed}/${opts.durationSec} s${target}\n`)
    }
    read()
  }, 1000)
  return {
    async stop() {
      clearInterval(timer)
      await inFlight
    },
  }
}
