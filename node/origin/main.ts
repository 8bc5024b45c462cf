// Runs the origin on its own:
//   node dist/node/origin/main.js --listen 127.0.0.1:9000 [--latency-ms N] [--fixtures DIR] [--reuse-port]
//   npx tsx node/origin/main.ts --listen 127.0.0.1:9000
//   meliproxy origin --listen 127.0.0.1:9000   (node/cli.ts imports runOrigin from here)
// Prints one line `origin listening on http://HOST:PORT` once it accepts connections; on SIGINT/SIGTERM
// it closes every connection and exits 0. Importing this module runs nothing.
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startOrigin, type OriginOptions } from './origin-server.js'

const USAGE = 'usage: origin [--listen HOST:PORT] [--latency-ms N] [--fixtures DIR] [--reuse-port]   (default --listen 127.0.0.1:9000)'

/** `127.0.0.1:9000`, `[::1]:9000`, `localhost:9000`, `:9000` (all IPv4 interfaces), `9000` (loopback). */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]:|([^:[\]]*):)?(\d{1,5})$/.exec(text)
  if (!m) return undefined
  const port = Number(m[3])
  if (port > 65535) return undefined
  if (m[1] !== undefined) return { host: m[1], port }
  if (m[2] === undefined) return { host: '127.0.0.1', port }
  return { host: m[2] === '' ? '0.0.0.0' : m[2], port }
}

export interface RunOriginOptions {
  latencyMs?: number
  fixturesDir?: string
  reusePort?: boolean
}

/** Starts the origin on `listen` (HOST:PORT), serves until SIGINT/SIGTERM, then closes it. Returns the exit code. */
export async function runOrigin(listen: string, options: RunOriginOptions = {}): Promise<number> {
  const address = parseListen(listen)
  if (address === undefined) {
    process.stderr.write(`origin: --listen: ${JSON.stringify(listen)} is not HOST:PORT\n${USAGE}\n`)
    return 2
  }
  const opts: OriginOptions = { host: address.host, port: address.port }
  if (options.latencyMs !== undefined) opts.latencyMs = options.latencyMs
  if (options.fixturesDir !== undefined) opts.fixturesDir = options.fixturesDir
  if (options.reusePort !== undefined) opts.reusePort = options.reusePort
  let origin
  try {
    origin = await startOrigin(opts)
  } catch (err) {
    const e = err as Error & { code?: string }
    process.stderr.write(`origin: ${e.code ?? e.name}: ${e.message}\n`)
    return 1
  }
  process.stdout.write(`origin listening on ${origin.url}\n`)
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  process.stderr.write(`origin: ${signal}, closing\n`)
  await origin.close()
  return 0
}

async function main(argv: string[]): Promise<number> {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: {
        listen: { type: 'string', default: '127.0.0.1:9000' },
        'latency-ms': { type: 'string' },
        fixtures: { type: 'string' },
        'reuse-port': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }))
  } catch (err) {
    process.stderr.write(`origin: ${(err as Error).message}\n${USAGE}\n`)
    return 2
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const options: RunOriginOptions = { reusePort: values['reuse-port'] }
  if (values['latency-ms'] !== undefined) {
    const latencyMs = Number(values['latency-ms'])
    if (!/^\d+$/.test(values['latency-ms'])) {
      process.stderr.write(`origin: --latency-ms: ${JSON.stringify(values['latency-ms'])} is not a whole number of milliseconds\n`)
      return 2
    }
    options.latencyMs = latencyMs
  }
  if (values.fixtures !== undefined) options.fixturesDir = values.fixtures
  return runOrigin(values.listen, options)
}

function isEntryPoint(): boolean {
  const entry = process.argv[1]
  if (entry === undefined) return false
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isEntryPoint()) process.exitCode = await main(process.argv.slice(2))
