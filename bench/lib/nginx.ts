// nginx as the baseline reverse proxy: find the binary, write a config into a fresh temp directory
// (see nginx-config.ts), check it with `nginx -t`, run it in the foreground (daemon off, master
// process on), wait until it answers HTTP, and stop it. Nothing here throws for an expected failure
// (not installed, bad config, no answer): startNginx() resolves with `{ ok: false, reason, message }`
// so a suite can print why the baseline is missing and go on.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findExecutable } from './executables.js'
import { freePort } from './free-port.js'
import { renderNginxConfig, type NginxConfigOptions } from './nginx-config.js'

export type FindNginxResult = { installed: true; path: string; version: string } | { installed: false; message: string }

export interface StartNginxOptions extends Omit<NginxConfigOptions, 'dir' | 'listen'> {
  /** Listen address; port 0 or absent picks a free loopback port. */
  listen?: { host?: string; port?: number }
  /** Path requested to decide nginx is up (any HTTP answer counts; default '/'). */
  readyPath?: string
  /** How long to wait for the first answer (default 10 s). */
  readyTimeoutMs?: number
}

export interface RunningNginx {
  url: string
  port: number
  /** Master process id (workers are its children). */
  pid: number
  /** The temp directory holding nginx.conf, logs and the pid file; removed by stop(). */
  dir: string
  config: string
  version: string
  /** Fast shutdown (SIGTERM, then SIGKILL after 5 s); removes the directory. Safe to call twice. */
  stop(): Promise<void>
}

export type StartNginxResult =
  | { ok: true; nginx: RunningNginx }
  | { ok: false; reason: 'not-installed' | 'config-invalid' | 'failed-to-start'; message: string }

const VERSION = /nginx version: (\S+)/

/** Looks for nginx on PATH and in the sbin directories; never throws. */
export function findNginx(): Promise<FindNginxResult> {
  const path = findExecutable('nginx')
  if (path === undefined) return Promise.resolve({ installed: false, message: 'nginx is not installed (Debian: apt-get install -y nginx)' })
  return new Promise((resolve) => {
    execFile(path, ['-v'], (err, stdout, stderr) => {
      const m = VERSION.exec(`${stderr}${stdout}`)
      if (err !== null || !m) resolve({ installed: false, message: `${path} -v failed: ${err?.message ?? `${stderr}${stdout}`.trim()}` })
      else resolve({ installed: true, path, version: m[1]! })
    })
  })
}

export async function startNginx(opts: StartNginxOptions): Promise<StartNginxResult> {
  const found = await findNginx()
  if (!found.installed) return { ok: false, reason: 'not-installed', message: found.message }
  let dir: string | undefined
  try {
    dir = await mkdtemp(join(tmpdir(), 'meliproxy-nginx-'))
    // Workers run as an unprivileged user when the master is root; they must reach the temp paths inside.
    await chmod(dir, 0o755)
    const host = opts.listen?.host ?? '127.0.0.1'
    const port = opts.listen?.port !== undefined && opts.listen.port !== 0 ? opts.listen.port : await freePort(host)
    let config: string
    try {
      config = renderNginxConfig({ ...opts, dir, listen: { host, port } })
    } catch (err) {
      await rm(dir, { recursive: true, force: true })
      return { ok: false, reason: 'config-invalid', message: (err as Error).message }
    }
    const confFile = join(dir, 'nginx.conf')
    await writeFile(confFile, config)
    const baseArgs = ['-e', join(dir, 'error.log'), '-p', dir, '-c', confFile]
    const test = await execResult(found.path, ['-t', ...baseArgs])
    if (test.code !== 0) {
      await rm(dir, { recursive: true, force: true })
      return { ok: false, reason: 'config-invalid', message: `nginx -t: ${test.output.trim()}` }
    }
    const child = spawn(found.path, baseArgs, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += d.toString()
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    const ready = await waitForHttp(host, port, opts.readyPath ?? '/', opts.readyTimeoutMs ?? 10_000, exited)
    if (!ready.ok) {
      await killAndWait(child, exited)
      const log = await readFile(join(dir, 'error.log'), 'utf8').catch(() => '')
      await rm(dir, { recursive: true, force: true })
      return { ok: false, reason: 'failed-to-start', message: `${ready.message}; ${(stderr + log).trim().slice(-1000)}` }
    }
    const runDir = dir
    let stopped: Promise<void> | undefined
    const nginx: RunningNginx = {
      url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
      port,
      pid: child.pid ?? -1,
      dir: runDir,
      config,
      version: found.version,
      stop() {
        stopped ??= killAndWait(child, exited).then(() => rm(runDir, { recursive: true, force: true }))
        return stopped
      },
    }
    return { ok: true, nginx }
  } catch (err) {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true }).catch(() => undefined)
    return { ok: false, reason: 'failed-to-start', message: (err as Error).message }
  }
}

function execResult(file: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1
      resolve({ code, output: `${stdout}${stderr}` })
    })
  })
}

async function killAndWait(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** Polls until `GET path` gets any HTTP status line back, nginx exits, or the timeout passes. */
async function waitForHttp(host: string, port: number, path: string, timeoutMs: number, exited: Promise<number | null>): Promise<{ ok: true } | { ok: false; message: string }> {
  const deadline = Date.now() + timeoutMs
  let exitCode: number | null | undefined
  void exited.then((c) => (exitCode = c))
  while (Date.now() < deadline) {
    if (exitCode !== undefined) return { ok: false, message: `nginx exited with ${exitCode} before answering` }
    if (await answersHttp(host, port, path)) return { ok: true }
    await new Promise((r) => setTimeout(r, 50))
  }
  return { ok: false, message: `nginx did not answer GET ${path} on ${host}:${port} within ${timeoutMs} ms` }
}

function answersHttp(host: string, port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host)
    let got = ''
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(2000, () => done(false))
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`))
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1')
      if (/^HTTP\/1\.[01] \d{3}/.test(got)) done(true)
    })
    socket.on('error', () => done(false))
    socket.on('close', () => done(/^HTTP\/1\.[01] \d{3}/.test(got)))
  })
}
