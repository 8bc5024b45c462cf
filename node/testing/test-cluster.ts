// Real meliproxy nodes on loopback for tests and benchmarks, like gubernator's cluster.Start(n) / Restart(i):
// each node is a child process running the built CLI (`node bin/meliproxy.js node ID`), with its own data
// directory, free ports and a cluster.yml written for the run. The local Meli-like origin runs in this process
// unless an upstream URL is given. Requires `npm run build` first (npm test does it).
//
//   const cluster = await TestCluster.start({ nodes: 3, rules: [{ id: 'r', limit: 10, per: 'minute' }] })
//   await fetch(`${cluster.nodes[0].http}/categories/MLA97994`)
//   await cluster.kill(1); await cluster.restart(1)
//   await cluster.close()
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stringify } from 'yaml'
import { startOrigin, type Origin } from '../origin/index.js'
import type { NodeReadyMessage } from '../run-node.js'

// bin/ sits two levels above node/testing/ in the sources and three above dist/node/testing/.
const CLI = fileURLToPath(new URL(import.meta.url.includes('/dist/node/') ? '../../../bin/meliproxy.js' : '../../bin/meliproxy.js', import.meta.url))

export interface TestClusterOptions {
  nodes: number
  /** Rules as written in cluster.yml. */
  rules?: unknown[]
  /** Upstream URL; default: a local origin started in this process. */
  upstream?: string
  gossip?: { intervalMs?: number; suspectAfterMs?: number; syncTimeoutMs?: number; maxFrameBytes?: number }
  partitionPolicy?: 'visible' | 'share'
  upstreamSettings?: { timeoutMs?: number; connectTimeoutMs?: number; connections?: number; bodyTimeoutMs?: number }
  trustedProxies?: string[]
  proxy?: Record<string, unknown>
  stats?: Record<string, unknown>
  admin?: { openReads?: boolean; uiOrigin?: string }
  /** Extra environment of every node. */
  env?: NodeJS.ProcessEnv
  /** Start the nodes one after another, waiting for each (default: all at once). */
  sequential?: boolean
  /** How long to wait for a node to report it listens (default 30 s). */
  startTimeoutMs?: number
}

export interface TestNode {
  id: string
  index: number
  /** http://127.0.0.1:PORT of its proxy */
  http: string
  /** http://127.0.0.1:PORT of its admin API */
  admin: string
  p2p: string
  dataDir: string
  peerId: string | null
  process: ChildProcess | null
  /** Everything the process wrote (stdout and stderr), for assertions and failure messages. */
  output: string[]
  exitCode: number | null
  exited: Promise<number | null> | null
}

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789'
export const TEST_CLUSTER_SECRET = 'test-cluster-secret-0123456789'

export class TestCluster {
  readonly dir: string
  readonly configFile: string
  readonly nodes: TestNode[]
  readonly origin: Origin | null
  readonly token = TEST_ADMIN_TOKEN
  private readonly env: NodeJS.ProcessEnv
  private readonly startTimeoutMs: number

  private constructor(dir: string, configFile: string, nodes: TestNode[], origin: Origin | null, env: NodeJS.ProcessEnv, startTimeoutMs: number) {
    this.dir = dir
    this.configFile = configFile
    this.nodes = nodes
    this.origin = origin
    this.env = env
    this.startTimeoutMs = startTimeoutMs
  }

  static async start(opts: TestClusterOptions): Promise<TestCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'meliproxy-test-'))
    const origin = opts.upstream === undefined ? await startOrigin({ host: '127.0.0.1', port: 0 }) : null
    const upstream = opts.upstream ?? origin!.url
    const ports = await freePorts(opts.nodes * 3)
    const nodes: TestNode[] = []
    for (let i = 0; i < opts.nodes; i++) {
      const [h, a, p] = [ports[3 * i]!, ports[3 * i + 1]!, ports[3 * i + 2]!]
      nodes.push({
        id: `n${i + 1}`,
        index: i,
        http: `http://127.0.0.1:${h}`,
        admin: `http://127.0.0.1:${a}`,
        p2p: `127.0.0.1:${p}`,
        dataDir: join(dir, `n${i + 1}`),
        peerId: null,
        process: null,
        output: [],
        exitCode: null,
        exited: null,
      })
    }
    const config = {
      cluster: {
        name: 'test',
        gossip: { intervalMs: 20, suspectAfterMs: 1000, syncTimeoutMs: 3000, ...opts.gossip },
        ...(opts.partitionPolicy ? { partitionPolicy: opts.partitionPolicy } : {}),
      },
      upstream: { url: upstream, connections: 16, timeoutMs: 5000, ...opts.upstreamSettings },
      ...(opts.proxy ? { proxy: opts.proxy } : {}),
      trustedProxies: opts.trustedProxies ?? [],
      nodes: nodes.map((n) => ({ id: n.id, http: n.http.slice(7), admin: n.admin.slice(7), p2p: n.p2p, dataDir: n.dataDir })),
      rules: opts.rules ?? [],
      stats: { retention: '7d', flushIntervalMs: 200, ...opts.stats },
      admin: { token: TEST_ADMIN_TOKEN, ...opts.admin },
    }
    const configFile = join(dir, 'cluster.yml')
    writeFileSync(configFile, stringify(config))
    const env = { ...process.env, MELIPROXY_CLUSTER_SECRET: TEST_CLUSTER_SECRET, MELIPROXY_LOG_LEVEL: 'info', ...opts.env }
    const cluster = new TestCluster(dir, configFile, nodes, origin, env, opts.startTimeoutMs ?? 30_000)
    try {
      if (opts.sequential) for (const n of nodes) await cluster.spawn(n)
      else await Promise.all(nodes.map((n) => cluster.spawn(n)))
    } catch (err) {
      await cluster.close()
      throw err
    }
    return cluster
  }

  /** Waits until every running node answers /readyz with 200. */
  async waitReady(timeoutMs = 15_000): Promise<void> {
    await waitFor(
      async () => {
        for (const n of this.nodes) {
          if (n.process === null) continue
          const res = await fetch(`${n.admin}/readyz`).catch(() => null)
          if (res?.status !== 200) return false
        }
        return true
      },
      { timeoutMs, what: 'every node ready' },
    )
  }

  /** Sends `signal` to node i and waits for it to exit (SIGKILL by default: no goodbye to anyone). */
  async kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const n = this.nodes[i]!
    if (n.process === null) return
    n.process.kill(signal)
    await n.exited
    n.process = null
  }

  /** SIGSTOP: the process freezes with its sockets open (a stalled peer). */
  pause(i: number): void {
    this.nodes[i]!.process?.kill('SIGSTOP')
  }

  resume(i: number): void {
    this.nodes[i]!.process?.kill('SIGCONT')
  }

  /** Starts node i again with the same data directory and ports. */
  async restart(i: number): Promise<void> {
    const n = this.nodes[i]!
    if (n.process !== null) await this.kill(i, 'SIGTERM')
    await this.spawn(n)
  }

  /** Runs `meliproxy <args>` with the cluster's config and environment; resolves with its exit code and output. */
  runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return runCli([...args, '--config', this.configFile], { ...this.env, ...env })
  }

  /** Starts `meliproxy <args> --config <this cluster's file>` in the background (e.g. an outsider node). */
  runCliDetached(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const child = fork(CLI, [...args, '--config', this.configFile], { env: { ...this.env, ...env }, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] })
    return child
  }

  async close(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (n) => {
        if (n.process === null) return
        n.process.kill('SIGCONT')
        n.process.kill('SIGTERM')
        const timer = setTimeout(() => n.process?.kill('SIGKILL'), 5000)
        await n.exited
        clearTimeout(timer)
        n.process = null
      }),
    )
    await this.origin?.close()
    rmSync(this.dir, { recursive: true, force: true })
  }

  private spawn(n: TestNode): Promise<void> {
    const child = fork(CLI, ['node', n.id, '--config', this.configFile], { env: this.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
    n.process = child
    n.exitCode = null
    const append = (chunk: Buffer) => {
      n.output.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''))
      if (n.output.length > 5000) n.output.splice(0, n.output.length - 5000)
    }
    child.stdout!.on('data', append)
    child.stderr!.on('data', append)
    n.exited = new Promise((resolve) => {
      child.on('exit', (code) => {
        n.exitCode = code
        resolve(code)
      })
    })
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${n.id} did not start in ${this.startTimeoutMs} ms:\n${n.output.slice(-30).join('\n')}`)), this.startTimeoutMs)
      child.on('message', (msg: NodeReadyMessage) => {
        if (msg?.type !== 'ready') return
        clearTimeout(timer)
        n.peerId = msg.peerId
        resolve()
      })
      void n.exited!.then((code) => {
        clearTimeout(timer)
        reject(new Error(`node ${n.id} exited with code ${code} while starting:\n${n.output.slice(-30).join('\n')}`))
      })
    })
  }
}

/** Runs the built CLI; resolves with its exit code and output (never rejects for a non-zero exit). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = fork(CLI, args, { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`meliproxy ${args.join(' ')} did not exit in ${timeoutMs} ms\n${stdout}\n${stderr}`))
    }, timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

export interface WaitOptions {
  timeoutMs: number
  intervalMs?: number
  /** Said in the timeout error. */
  what: string
}

/** Polls `check` until it returns something other than false/undefined/null; throws after timeoutMs. */
export async function waitFor<T>(check: () => Promise<T | false | undefined | null> | T | false | undefined | null, opts: WaitOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs
  let lastError: unknown = null
  for (;;) {
    try {
      const value = await check()
      if (value !== false && value !== undefined && value !== null) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}${lastError ? ` (last error: ${String(lastError)})` : ''}`)
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50))
  }
}

/**
 * Waits, if needed, so that the next `needMs` fall inside one window of `windowMs` (wall clock, as the limiter
 * counts). Under the sliding window, a test that crosses a boundary sees the previous window's count decay, which
 * legitimately admits more; exact-count tests start in a fresh window instead.
 */
export async function startOfFreshWindow(windowMs: number, needMs: number): Promise<void> {
  const into = Date.now() % windowMs
  if (into + needMs > windowMs) await new Promise((r) => setTimeout(r, windowMs - into + 50))
}

/** Distinct free loopback ports (free when returned; bind them soon). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer()
          s.once('error', reject)
          s.listen(0, '127.0.0.1', () => resolve(s))
        }),
    ),
  )
  const ports = servers.map((s) => (s.address() as { port: number }).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}
