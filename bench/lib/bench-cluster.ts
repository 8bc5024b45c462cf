// Real meliproxy nodes for a benchmark: node/testing's TestCluster (one `bin/meliproxy.js node ID` process per node,
// free loopback ports, a fresh data directory, a generated cluster.yml) given the bench config's settings and rules
// and the benchmark's origin as upstream; then every node is pinned to the proxy CPU. Needs the build (dist/):
// `npm run bench` builds first.
import { TestCluster, waitFor, type TestClusterOptions } from '../../node/testing/test-cluster.js'
import type { BenchConfig } from './bench-config.js'
import { pinProcess } from './cpu-pinning.js'
import { BenchProcessError } from './errors.js'

export interface BenchClusterOptions {
  config: BenchConfig
  nodes: number
  /** The origin's URL. */
  upstream: string
  /** Rules as written in cluster.yml (the bench config's, or none). */
  rules: readonly Record<string, unknown>[]
  /** Start the nodes with `stats.enabled: false` (requests are not recorded). */
  statsOff?: boolean
  /** taskset CPU list every node is pinned to once started. */
  cpus?: string
}

export interface BenchNode {
  id: string
  /** http://127.0.0.1:PORT of its proxy */
  http: string
  /** http://127.0.0.1:PORT of its admin API */
  admin: string
  pid: number
}

export class BenchCluster {
  readonly nodes: BenchNode[]
  readonly token: string
  readonly statsOff: boolean
  private readonly cluster: TestCluster

  private constructor(cluster: TestCluster, statsOff: boolean) {
    this.cluster = cluster
    this.token = cluster.token
    this.statsOff = statsOff
    this.nodes = cluster.nodes.map((n) => ({ id: n.id, http: n.http, admin: n.admin, pid: n.process?.pid ?? -1 }))
  }

  static async start(o: BenchClusterOptions): Promise<BenchCluster> {
    const env: NodeJS.ProcessEnv = { MELIPROXY_LOG_LEVEL: 'warn' }
    const opts: TestClusterOptions = {
      nodes: o.nodes,
      upstream: o.upstream,
      rules: [...o.rules],
      // batchSize is a gossip setting TestCluster's type does not list; the object is written to cluster.yml as is.
      gossip: o.config.gossip as TestClusterOptions['gossip'],
      upstreamSettings: o.config.upstream as TestClusterOptions['upstreamSettings'],
      trustedProxies: o.config.trustedProxies,
      env,
      startTimeoutMs: 60_000,
    }
    if (o.config.proxy !== undefined) opts.proxy = o.config.proxy
    if (o.config.stats !== undefined || o.statsOff === true) opts.stats = { ...o.config.stats, ...(o.statsOff === true ? { enabled: false } : {}) }
    const cluster = await TestCluster.start(opts)
    try {
      await cluster.waitReady(30_000)
      const bench = new BenchCluster(cluster, o.statsOff === true)
      if (o.cpus !== undefined) for (const n of bench.nodes) await pinProcess(n.pid, o.cpus)
      return bench
    } catch (err) {
      await cluster.close()
      throw err
    }
  }

  pids(): number[] {
    return this.nodes.map((n) => n.pid)
  }

  /** The last lines a node wrote (for error messages). */
  output(i: number, lines = 20): string {
    return this.cluster.nodes[i]?.output.slice(-lines).join('\n') ?? ''
  }

  /** Every node still running (a node that died under load makes the numbers meaningless). */
  assertAlive(): void {
    for (const n of this.cluster.nodes) {
      if (n.exitCode !== null || n.process === null) throw new BenchProcessError(`node ${n.id} exited (code ${n.exitCode}) during the benchmark:\n${n.output.slice(-20).join('\n')}`)
    }
  }

  /** Waits until `check` holds on every node (e.g. a rule change arrived everywhere); resolves with the time taken. */
  async waitOnEvery(check: (node: BenchNode) => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<number> {
    const started = performance.now()
    await waitFor(async () => (await Promise.all(this.nodes.map(check))).every(Boolean), { timeoutMs, intervalMs: 10, what })
    return performance.now() - started
  }

  close(): Promise<void> {
    return this.cluster.close()
  }
}
