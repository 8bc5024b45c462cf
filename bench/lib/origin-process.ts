// The local Meli-like origin (node/origin) as a separate process, so a benchmark can pin it to its
// own CPU and measure it (or a proxy in front of it) without sharing an event loop with the load
// generator. Runs the TypeScript source through tsx when this file is TypeScript, the compiled
// dist/node/origin/main.js otherwise.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { withCpus } from './cpu-pinning.js'
import { BenchProcessError } from './errors.js'

export interface OriginProcessOptions {
  host?: string
  /** 0 (default) picks a free port. */
  port?: number
  /** taskset CPU list for the origin process. */
  cpus?: string
  latencyMs?: number
  readyTimeoutMs?: number
}

export interface OriginProcess {
  url: string
  port: number
  pid: number
  /** Requests the origin has recorded since it started (GET /__origin/events). */
  requestsServed(): Promise<number>
  /** SIGTERM, then SIGKILL after 5 s. Safe to call twice. */
  stop(): Promise<void>
}

const READY_LINE = /origin listening on (http:\/\/\S+)\n/

function originCommand(): { args: string[] } {
  const here = import.meta.url
  if (here.endsWith('.ts')) return { args: ['--import', 'tsx', fileURLToPath(new URL('../../node/origin/main.ts', here))] }
  return { args: [fileURLToPath(new URL('../../node/origin/main.js', here))] }
}

export async function startOriginProcess(opts: OriginProcessOptions = {}): Promise<OriginProcess> {
  const { args } = originCommand()
  args.push('--listen', `${opts.host ?? '127.0.0.1'}:${opts.port ?? 0}`)
  if (opts.latencyMs !== undefined) args.push('--latency-ms', String(opts.latencyMs))
  const [command, argv] = withCpus(process.execPath, args, opts.cpus)
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 16 * 1024) stderr += d.toString()
  })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new BenchProcessError(`origin did not report listening within ${opts.readyTimeoutMs ?? 20_000} ms: ${stderr.trim()}`)), opts.readyTimeoutMs ?? 20_000)
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const m = READY_LINE.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new BenchProcessError(`origin exited with ${code} before listening: ${stderr.trim()}`))
    })
  }).catch(async (err: unknown) => {
    await stopChild(child, exited)
    throw err
  })
  let stopping: Promise<void> | undefined
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid ?? -1,
    async requestsServed() {
      const res = await fetch(`${url}/__origin/events?recent=0`)
      return ((await res.json()) as { total: number }).total
    },
    stop() {
      stopping ??= stopChild(child, exited)
      return stopping
    },
  }
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}
