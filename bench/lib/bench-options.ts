// The command line of `meliproxy bench` (and `npm run bench --`): suites by name, then options. Every value is
// checked here, once; the suites read a resolved BenchOptions with the quick or full defaults filled in.
import { parseArgs } from 'node:util'
import { BenchUsageError } from './errors.js'
import type { LoadTool } from './load.js'

export const SUITES = ['throughput', 'cost', 'gossip', 'accuracy', 'scale'] as const
export type SuiteName = (typeof SUITES)[number]

export interface BenchOptions {
  suites: SuiteName[]
  quick: boolean
  /** Seconds of each load run (closed-loop and fixed-rate). */
  durationSec: number
  rounds: number
  warmupSec: number
  /** Closed-loop connections in total (split over the nodes). */
  connections: number
  /** Nodes of the measured cluster; undefined: as many as the bench config lists. */
  nodes: number | undefined
  /** The cluster runs the bench config's rules (and nginx the same limit_req zones). */
  rules: boolean
  /** The cluster records statistics (off: stats.enabled: false). */
  stats: boolean
  tool: 'auto' | LoadTool
  configFile: string | undefined
  resultsDir: string | undefined
  /** Fixed-rate latency test: requests per second over the whole cluster, one test per rate. */
  rates: number[]
  /** Gossip suite: request rates per node. */
  gossipRates: number[]
  gossipDurationSec: number
  /** Accuracy suite: window length, and windows measured per load shape (uniform, skewed). */
  accuracyWindowMs: number
  accuracyWindows: number
  /** Scale suite: simulated cluster sizes. */
  scaleNodes: number[]
  /** Scale suite: per-node req/s to size the cluster for 50,000 req/s (default: measured by throughput). */
  perNodeRps: number | undefined
  pin: boolean
}

export const USAGE = `usage: meliproxy bench [suite ...] [options]      (npm run bench -- [suite ...] [options])

suites (default: all):
  throughput   meliproxy (N nodes) vs nginx (N workers, same limits as limit_req) on one pinned core: max req/s,
               req/s per core, CPU µs per request, latency; then the latency each adds at fixed rates (--rate)
  cost         one node: rules on vs no rules, stats on vs off — throughput and CPU per request as ratios
  gossip       real nodes under fixed-rate load (--gossip-rates per node): delta propagation lag p50/p99 and
               gossip bytes per second per node
  accuracy     the cluster under load from 64 client addresses against limits of 10, 1,000 and 100,000 per
               minute, uniform and skewed (one node takes 80%): admitted vs limit per window
  scale        crdt-counters on a simulated network of 2 to 128 nodes at 50,000 req/s: over-admission, gossip
               bytes per node per second, and the nodes needed for 50,000 req/s
  all          every suite above, in that order

options:
  --quick                 a smoke run in under a minute (CI); its numbers mean little
  --duration S            seconds of each load run (default 10, gossip levels 25; quick 2)
  --rounds N              alternating rounds per comparison, the median is reported (default 3; quick 1)
  --connections N         closed-loop connections in total (default 100)
  --nodes N               cluster size (default: the bench config's nodes)
  --rules on|off          the bench config's rules on the nodes and as nginx limit_req (default on)
  --stats on|off          statistics recording on the nodes (default on)
  --tool auto|wrk|autocannon   closed-loop generator (default auto: wrk when installed)
  --rate A,B,...          fixed-rate latency tests, req/s over the cluster (default 1000,5000; quick 1000)
  --gossip-rates A,B,...  gossip suite rates per node (default 1000,5000,10000; quick 1000)
  --scale-nodes A,B,...   scale suite sizes (default 2,4,8,16,32,64,128; quick 2,4,8)
  --per-node-rps N        scale suite: size the cluster from this instead of the measured throughput
  --config FILE           bench config (default bench/cluster.bench.yml)
  --results DIR           where results go (default bench/results); a timestamped directory is made inside
  --no-pin                do not pin processes to CPUs
  -h, --help              this text
`

export type ParsedArgs = { help: true } | { help: false; options: BenchOptions }

function positiveInt(name: string, text: string | undefined, fallback: number, max = 10_000_000): number {
  if (text === undefined) return fallback
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) throw new BenchUsageError(`--${name}: ${JSON.stringify(text)} is not an integer from 1 to ${max}`)
  return Number(text)
}

function intList(name: string, text: string | undefined, fallback: number[], max: number): number[] {
  if (text === undefined) return fallback
  const parts = text.split(',')
  if (parts.length > 32) throw new BenchUsageError(`--${name}: more than 32 values`)
  return parts.map((p) => positiveInt(name, p.trim(), 0, max))
}

function onOff(name: string, text: string | undefined): boolean {
  if (text === undefined || text === 'on') return true
  if (text === 'off') return false
  throw new BenchUsageError(`--${name}: ${JSON.stringify(text)} is not on or off`)
}

export function parseBenchArgs(argv: readonly string[]): ParsedArgs {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        quick: { type: 'boolean', default: false },
        duration: { type: 'string' },
        rounds: { type: 'string' },
        connections: { type: 'string' },
        nodes: { type: 'string' },
        rules: { type: 'string' },
        stats: { type: 'string' },
        tool: { type: 'string' },
        rate: { type: 'string' },
        'gossip-rates': { type: 'string' },
        'scale-nodes': { type: 'string' },
        'per-node-rps': { type: 'string' },
        config: { type: 'string' },
        results: { type: 'string' },
        'no-pin': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    })
  } catch (err) {
    throw new BenchUsageError((err as Error).message)
  }
  const { values: v, positionals } = parsed
  if (v.help) return { help: true }
  const suites = new Set<SuiteName>()
  for (const name of positionals.length === 0 ? ['all'] : positionals) {
    if (name === 'all') SUITES.forEach((s) => suites.add(s))
    else if ((SUITES as readonly string[]).includes(name)) suites.add(name as SuiteName)
    else throw new BenchUsageError(`unknown suite ${JSON.stringify(name)} (suites: ${SUITES.join(', ')}, all)`)
  }
  const tool = v.tool ?? 'auto'
  if (tool !== 'auto' && tool !== 'wrk' && tool !== 'autocannon') throw new BenchUsageError(`--tool: ${JSON.stringify(tool)} is not auto, wrk or autocannon`)
  const quick = v.quick
  const options: BenchOptions = {
    // Suites run in a fixed order: throughput first (scale uses its per-core figure).
    suites: SUITES.filter((s) => suites.has(s)),
    quick,
    durationSec: positiveInt('duration', v.duration, quick ? 2 : 10, 3600),
    rounds: positiveInt('rounds', v.rounds, quick ? 1 : 3, 100),
    warmupSec: quick ? 0 : 3,
    connections: positiveInt('connections', v.connections, 100, 10_000),
    nodes: v.nodes === undefined ? undefined : positiveInt('nodes', v.nodes, 1, 64),
    rules: onOff('rules', v.rules),
    stats: onOff('stats', v.stats),
    tool,
    configFile: v.config,
    resultsDir: v.results,
    rates: intList('rate', v.rate, quick ? [1000] : [1000, 5000], 1_000_000),
    gossipRates: intList('gossip-rates', v['gossip-rates'], quick ? [1000] : [1000, 5000, 10_000], 1_000_000),
    // The node's lag percentiles cover its last 1,024 delta frames (~20 s at 50 a second): a level lasts longer.
    gossipDurationSec: v.duration !== undefined ? positiveInt('duration', v.duration, 1, 3600) : quick ? 2 : 25,
    accuracyWindowMs: quick ? 2000 : 60_000,
    accuracyWindows: quick ? 1 : 2,
    scaleNodes: intList('scale-nodes', v['scale-nodes'], quick ? [2, 4, 8] : [2, 4, 8, 16, 32, 64, 128], 1024),
    perNodeRps: v['per-node-rps'] === undefined ? undefined : positiveInt('per-node-rps', v['per-node-rps'], 1),
    pin: !v['no-pin'],
  }
  return { help: false, options }
}
