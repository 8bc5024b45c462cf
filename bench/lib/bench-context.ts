// What the suites of one run share: the options, the bench config, the CPU split, and processes started once and
// reused — the origin (pinned with the load generators) and the measured cluster (pinned to the proxy CPU). The
// benchmark process itself runs the fixed-rate client and autocannon, so it is pinned with the generators too
// while suites run, and given back its original CPUs at the end.
import { execFile } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { BenchCluster } from './bench-cluster.js'
import type { BenchConfig } from './bench-config.js'
import type { BenchOptions } from './bench-options.js'
import { defaultCpuSplit, pinProcess, tasksetPath } from './cpu-pinning.js'
import { wrkAvailable, type LoadTool } from './load.js'
import { runMultiLoad, type Endpoint, type MultiLoadResult } from './multi-load.js'
import { startOriginProcess, type OriginProcess } from './origin-process.js'
import { MELI_PATHS } from '../suites/origin-vs-nginx.js'

export interface CpuSplit {
  server: string
  rest: string
}

/** Figures one suite measures and a later one uses. */
export interface SharedMeasurements {
  /** meliproxy req/s per proxy core (throughput suite). */
  meliproxyRpsPerCore?: number
}

export class BenchContext {
  readonly options: BenchOptions
  readonly config: BenchConfig
  readonly split: CpuSplit | undefined
  readonly tool: LoadTool
  readonly nodeCount: number
  readonly shared: SharedMeasurements = {}
  private originStarting: Promise<OriginProcess> | undefined
  private clusterStarting: Promise<BenchCluster> | undefined
  private ownCpus: string | undefined
  private readonly extraClusters = new Map<string, Promise<BenchCluster>>()
  private readonly closers = new Set<() => Promise<void>>()

  constructor(options: BenchOptions, config: BenchConfig) {
    this.options = options
    this.config = config
    this.split = options.pin ? defaultCpuSplit(availableParallelism()) : undefined
    this.tool = options.tool === 'auto' ? (wrkAvailable() ? 'wrk' : 'autocannon') : options.tool
    this.nodeCount = options.nodes ?? config.nodes
  }

  /** The rules the measured cluster runs (the bench config's, or none with --rules off). */
  rules(): Record<string, unknown>[] {
    return this.options.rules ? this.config.rules : []
  }

  /** Pins this process (fixed-rate client, autocannon) to the generators' CPUs, remembering its own. */
  async pinSelf(): Promise<void> {
    if (this.split === undefined || this.ownCpus !== undefined) return
    this.ownCpus = await currentCpus(process.pid)
    if (this.ownCpus !== undefined) await pinProcess(process.pid, this.split.rest)
  }

  /** Gives this process its original CPUs back (the scale simulation wants every core). */
  async unpinSelf(): Promise<void> {
    if (this.ownCpus === undefined) return
    await pinProcess(process.pid, this.ownCpus)
    this.ownCpus = undefined
  }

  origin(): Promise<OriginProcess> {
    this.originStarting ??= startOriginProcess(this.split === undefined ? {} : { cpus: this.split.rest })
    return this.originStarting
  }

  /**
   * A closed-loop run (the run's tool, --connections in total, one generator per endpoint on the generator CPUs) over
   * the Meli-like paths, probing the origin for what it served.
   */
  async closedLoad(endpoints: readonly Endpoint[], durationSec: number, label: string): Promise<MultiLoadResult> {
    const origin = await this.origin()
    return runMultiLoad({
      endpoints,
      paths: MELI_PATHS,
      connections: this.options.connections,
      durationSec,
      tool: this.tool,
      label,
      probe: () => origin.requestsServed(),
      ...(this.split !== undefined ? { generatorCpus: this.split.rest } : {}),
    })
  }

  /** The cluster under test: nodeCount nodes, the run's rules and stats setting, pinned to the proxy CPU. */
  cluster(): Promise<BenchCluster> {
    this.clusterStarting ??= this.origin().then((origin) =>
      BenchCluster.start({
        config: this.config,
        nodes: this.nodeCount,
        upstream: origin.url,
        rules: this.rules(),
        statsOff: !this.options.stats,
        ...(this.split === undefined ? {} : { cpus: this.split.server }),
      }),
    )
    return this.clusterStarting
  }

  /**
   * Another cluster (e.g. one of the cost suite's single nodes), started once per `key` and closed with the context
   * unless closed before. Asking early (see startEarly) lets it start while other processes start.
   */
  extraCluster(key: string, opts: { nodes: number; rules: readonly Record<string, unknown>[]; statsOff: boolean }): Promise<BenchCluster> {
    let starting = this.extraClusters.get(key)
    if (starting === undefined) {
      starting = this.origin().then((origin) => BenchCluster.start({ config: this.config, upstream: origin.url, ...opts, ...(this.split === undefined ? {} : { cpus: this.split.server }) }))
      // Whoever asks later sees the failure; nobody may be asking yet.
      starting.catch(() => undefined)
      this.extraClusters.set(key, starting)
    }
    return starting
  }

  async closeExtra(key: string): Promise<void> {
    const starting = this.extraClusters.get(key)
    this.extraClusters.delete(key)
    const c = await starting?.catch(() => undefined)
    await c?.close()
  }

  /** Starts the shared cluster now (in parallel with whatever else is starting); failures surface when used. */
  startEarly(): void {
    this.cluster().catch(() => undefined)
  }

  /** Registers something a suite started (nginx) so that close() stops it even if the suite could not. */
  track(stop: () => Promise<void>): () => Promise<void> {
    this.closers.add(stop)
    return async () => {
      this.closers.delete(stop)
      await stop()
    }
  }

  /** Stops everything the run started. Safe to call twice (e.g. from a signal while a suite's finally runs). */
  async close(): Promise<void> {
    await Promise.all([...this.closers].map((stop) => stop().catch(() => undefined)))
    this.closers.clear()
    await Promise.all([...this.extraClusters.keys()].map((key) => this.closeExtra(key).catch(() => undefined)))
    // A process that failed to start has nothing to stop.
    const cluster = await this.clusterStarting?.catch(() => undefined)
    await cluster?.close()
    const origin = await this.originStarting?.catch(() => undefined)
    await origin?.stop()
    await this.unpinSelf()
  }
}

/** The CPU list a process may run on (taskset -c -p), or undefined without taskset. */
function currentCpus(pid: number): Promise<string | undefined> {
  const taskset = tasksetPath()
  if (taskset === undefined) return Promise.resolve(undefined)
  return new Promise((resolve) => {
    execFile(taskset, ['-c', '-p', String(pid)], (err, stdout) => {
      const m = /list:\s*(\S+)\s*$/.exec(stdout)
      resolve(err === null && m ? m[1] : undefined)
    })
  })
}
