// `meliproxy up`: every node of cluster.yml as a child process on this machine, their logs in one terminal, a table
// of where each listens once all are up, and Ctrl-C stops them all. A node that fails to start stops the others
// and makes `up` exit non-zero with that node's message.
import { fork, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { loadConfigFile } from './config/load-config.js'
import type { NodeConfig } from './config/schema.js'
import { formatLogLine } from './log-format.js'
import type { NodeReadyMessage } from './run-node.js'

export interface UpOptions {
  configFile: string
  localOrigin: boolean
  upstream: string | undefined
}

const CLI = fileURLToPath(new URL('./cli.js', import.meta.url))
const STOP_GRACE_MS = 5000

interface Child {
  node: NodeConfig
  process: ChildProcess
  ready: NodeReadyMessage | null
  exited: boolean
  lastErrors: string[]
}

export async function runUp(opts: UpOptions): Promise<number> {
  const { config } = loadConfigFile(opts.configFile)
  let upstream = opts.upstream
  let stopOrigin: (() => Promise<void>) | null = null
  if (opts.localOrigin) {
    const { startOrigin } = await import('./origin/index.js')
    const origin = await startOrigin({ host: '127.0.0.1', port: 0 })
    upstream = origin.url
    stopOrigin = () => origin.close()
    say(`local origin serving Meli-like responses on ${origin.url}`)
  }

  const env: NodeJS.ProcessEnv = { ...process.env }
  let generatedToken: string | null = null
  if (config.admin.token === undefined && !env.MELIPROXY_ADMIN_TOKEN) {
    generatedToken = randomBytes(24).toString('base64url')
    env.MELIPROXY_ADMIN_TOKEN = generatedToken
  }
  const everyPeerIdKnown = config.nodes.every((n) => n.peerId !== undefined)
  if (config.cluster.secret === undefined && !env.MELIPROXY_CLUSTER_SECRET && !everyPeerIdKnown && config.nodes.length > 1) {
    // One machine, one run: a fresh secret keeps strangers out of this cluster's gossip for as long as it runs.
    env.MELIPROXY_CLUSTER_SECRET = randomBytes(32).toString('base64url')
  }

  const children: Child[] = config.nodes.map((node) => {
    const args = ['node', node.id, '--config', opts.configFile]
    if (upstream !== undefined) args.push('--upstream', upstream)
    const child = fork(CLI, args, { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
    const entry: Child = { node, process: child, ready: null, exited: false, lastErrors: [] }
    pipeLines(child, node.id, entry)
    return entry
  })

  let stopping = false
  const stopAll = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    for (const c of children) if (!c.exited) c.process.kill('SIGTERM')
    const deadline = Date.now() + STOP_GRACE_MS
    while (children.some((c) => !c.exited) && Date.now() < deadline) await delay(50)
    for (const c of children) if (!c.exited) c.process.kill('SIGKILL')
    await stopOrigin?.()
  }

  const outcome = await new Promise<'ready' | { failed: Child; code: number | null }>((resolve) => {
    for (const c of children) {
      c.process.on('message', (msg: NodeReadyMessage) => {
        if (msg?.type !== 'ready') return
        c.ready = msg
        if (children.every((x) => x.ready !== null)) resolve('ready')
      })
      c.process.on('exit', (code, signal) => {
        c.exited = true
        if (c.ready === null) resolve({ failed: c, code })
        else if (!stopping) say(`node ${c.node.id} exited (${signal ?? `code ${code}`}); the others keep serving`)
      })
    }
  })

  if (outcome !== 'ready') {
    say(`node ${outcome.failed.node.id} failed to start (exit code ${outcome.code}); stopping the others`)
    await stopAll()
    return 1
  }

  printTable(config.cluster.name, children, generatedToken)
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      say('stopping…')
      void stopAll().then(resolve)
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    const check = setInterval(() => {
      if (children.every((c) => c.exited)) {
        clearInterval(check)
        say('every node has exited')
        void stopAll().then(resolve)
      }
    }, 500)
    check.unref()
  })
  return 0
}

function pipeLines(child: ChildProcess, name: string, entry: Child): void {
  const pad = name.padEnd(4)
  createInterface({ input: child.stdout! }).on('line', (line) => process.stdout.write(`${pad} | ${formatLogLine(line)}\n`))
  createInterface({ input: child.stderr! }).on('line', (line) => {
    entry.lastErrors.push(line)
    if (entry.lastErrors.length > 20) entry.lastErrors.shift()
    process.stderr.write(`${pad} | ${line}\n`)
  })
}

function printTable(cluster: string, children: Child[], token: string | null): void {
  const rows = children.map((c) => [c.node.id, c.ready!.http, c.ready!.admin, c.ready!.p2p, c.ready!.peerId])
  const head = ['node', 'proxy', 'admin', 'p2p', 'peer id']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => '  ' + cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')
  const out = [``, `meliproxy cluster "${cluster}" is up: ${children.length} node${children.length === 1 ? '' : 's'}`, line(head), ...rows.map(line)]
  out.push(``, `admin UI: ${children[0]!.ready!.admin}/`)
  if (token !== null) out.push(`admin token (generated for this run; set MELIPROXY_ADMIN_TOKEN to choose one): ${token}`)
  out.push(`try: curl ${children[0]!.ready!.http}/categories/MLA97994`, `Ctrl-C stops every node.`, ``)
  process.stdout.write(out.join('\n') + '\n')
}

function say(text: string): void {
  process.stdout.write(`up   | ${text}\n`)
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
