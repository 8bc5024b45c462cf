// Closed-loop load (runLoad: wrk or autocannon) on several endpoints at once — one generator per node, each with
// its share of the connections — and the sum. Latency percentiles cannot be merged from per-generator summaries,
// so the total carries the worst endpoint's (labelled as such in the reports); each endpoint keeps its own.
import { runLoad, type LoadOptions, type LoadResult } from './load.js'

export interface Endpoint {
  /** e.g. "n1" */
  name: string
  /** Base URL (http://host:port). */
  url: string
}

export interface MultiLoadOptions extends Omit<LoadOptions, 'urls' | 'connections' | 'label' | 'progress'> {
  endpoints: readonly Endpoint[]
  /** Paths every generator cycles through. */
  paths: readonly string[]
  /** Connections in total, split evenly (at least one per endpoint). */
  connections: number
  label: string
  progress?: NodeJS.WritableStream | null
}

export interface MultiLoadResult {
  label: string
  perEndpoint: Array<{ name: string; result: LoadResult }>
  requests: number
  requestsPerSec: number
  durationSec: number
  /** The worst endpoint's percentiles. */
  latencyMs: LoadResult['latencyMs']
  errors: number
  non2xx: number
  connections: number
  tool: LoadResult['tool']
  timeline: LoadResult['timeline']
}

export async function runMultiLoad(o: MultiLoadOptions): Promise<MultiLoadResult> {
  const n = o.endpoints.length
  const share = (i: number): number => Math.max(1, Math.floor(o.connections / n) + (i < o.connections % n ? 1 : 0))
  const { endpoints, paths, label, progress, connections, ...rest } = o
  const results = await Promise.all(
    endpoints.map((e, i) => {
      const opts: LoadOptions = {
        ...rest,
        urls: paths.map((p) => `${e.url}${p}`),
        connections: share(i),
        label: n === 1 ? label : `${label} ${e.name}`,
        // One progress line a second is enough: the first generator prints, with the probe (the origin's rate).
        progress: i === 0 ? progress : null,
      }
      if (i !== 0) delete opts.probe
      return runLoad(opts)
    }),
  )
  const perEndpoint = results.map((result, i) => ({ name: endpoints[i]!.name, result }))
  const requests = results.reduce((s, r) => s + r.requests, 0)
  const durationSec = Math.max(...results.map((r) => r.durationSec))
  const worst = (key: keyof LoadResult['latencyMs']): number => Math.max(...results.map((r) => r.latencyMs[key]))
  return {
    label,
    perEndpoint,
    requests,
    requestsPerSec: results.reduce((s, r) => s + r.requestsPerSec, 0),
    durationSec,
    latencyMs: { p50: worst('p50'), p90: worst('p90'), p99: worst('p99'), p999: worst('p999'), mean: worst('mean'), max: worst('max') },
    errors: results.reduce((s, r) => s + r.errors, 0),
    non2xx: results.reduce((s, r) => s + r.non2xx, 0),
    connections: results.reduce((s, r) => s + r.connections, 0),
    tool: results[0]!.tool,
    timeline: results[0]!.timeline,
  }
}
