// The bench config (bench/cluster.bench.yml by default): a cluster.yml validated by the node's own loader, of which
// the benchmark keeps the node count, the settings and the rules — as written, so the nodes re-validate exactly what
// a user would have put in cluster.yml. Addresses, data directories, upstream URL and admin token are the
// benchmark's (see bench-cluster.ts).
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { ConfigError } from '../../node/config/errors.js'
import { MAX_CONFIG_BYTES, parseConfigText } from '../../node/config/load-config.js'
import { BenchConfigError } from './errors.js'

export interface BenchConfig {
  file: string
  /** How many nodes the file lists. */
  nodes: number
  /** Rules as written in the file. */
  rules: Record<string, unknown>[]
  /** cluster.gossip as written (may be empty). */
  gossip: Record<string, unknown>
  /** upstream without url, as written. */
  upstream: Record<string, unknown>
  proxy: Record<string, unknown> | undefined
  stats: Record<string, unknown> | undefined
  trustedProxies: string[]
  /** Settings the benchmark's cluster cannot carry (reported, never silently dropped). */
  ignored: string[]
}

/** bench/cluster.bench.yml of this checkout, from the source (bench/lib) or the build (dist/bench/lib). */
export function defaultBenchConfigFile(): string {
  const here = import.meta.url
  return fileURLToPath(new URL(here.endsWith('.ts') ? '../cluster.bench.yml' : '../../../bench/cluster.bench.yml', here))
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
}

/** Reads and validates a bench config. Throws BenchConfigError naming the file and every problem. */
export function loadBenchConfig(file: string = defaultBenchConfigFile()): BenchConfig {
  let text: string
  try {
    const bytes = readFileSync(file)
    if (bytes.length > MAX_CONFIG_BYTES) throw new BenchConfigError(`${file}: ${bytes.length} bytes is larger than the ${MAX_CONFIG_BYTES}-byte limit of a cluster file`)
    text = bytes.toString('utf8')
  } catch (err) {
    if (err instanceof BenchConfigError) throw err
    throw new BenchConfigError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  let config
  try {
    config = parseConfigText(text, file)
  } catch (err) {
    if (err instanceof ConfigError) throw new BenchConfigError(err.message)
    throw err
  }
  // Validated: the raw document has the shape the schema accepted.
  const raw = parse(text) as Record<string, unknown>
  const cluster = record(raw.cluster) ?? {}
  const upstream = { ...(record(raw.upstream) ?? {}) }
  delete upstream.url
  const ignored: string[] = []
  if (config.cluster.partitionPolicy !== 'visible') ignored.push(`cluster.partitionPolicy: ${config.cluster.partitionPolicy} (bench nodes run with the default, visible)`)
  if (config.stats.mongo !== undefined) ignored.push('stats.mongo (bench nodes write statistics to LMDB only)')
  const stats = record(raw.stats)
  const statsWithoutMongo = stats === undefined ? undefined : Object.fromEntries(Object.entries(stats).filter(([k]) => k !== 'mongo'))
  return {
    file,
    nodes: config.nodes.length,
    rules: Array.isArray(raw.rules) ? (raw.rules as Record<string, unknown>[]) : [],
    gossip: { ...(record(cluster.gossip) ?? {}) },
    upstream,
    proxy: record(raw.proxy),
    stats: statsWithoutMongo,
    trustedProxies: config.trustedProxies,
    ignored,
  }
}
