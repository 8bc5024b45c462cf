// meliproxy — the command line.
//
//   meliproxy up [--config FILE] [--local-origin] [--upstream URL]   every node of the file, one process each
//   meliproxy node ID [--config FILE] [--upstream URL]               one node (what a production server runs)
//   meliproxy origin [--listen HOST:PORT]                            the local Meli-like origin (offline demo, tests)
//   meliproxy keygen [--config FILE]                                 create each node's key pair, print its peer id
//   meliproxy check [--config FILE]                                  validate cluster.yml and say what it defines
//   meliproxy bench [...]                                            the benchmarks (bin/meliproxy.js sends it to bench/cli.ts)
import { parseArgs } from 'node:util'
import { ConfigError } from './config/errors.js'

const USAGE = `usage: meliproxy <command> [options]

commands:
  up [--config FILE] [--local-origin] [--upstream URL]
        start every node of the config on this machine (one process each) and the admin UI; Ctrl-C stops them
  node ID [--config FILE] [--upstream URL]
        start one node of the config (what a production server runs)
  origin [--listen HOST:PORT]
        serve Meli-like responses locally (for machines without internet, tests and benchmarks)
  keygen [--config FILE]
        create the libp2p key pair of every node in its dataDir and print the peer ids
  check [--config FILE]
        validate the config file and print a summary
  bench [--quick] [...]
        run the benchmarks (meliproxy bench --help)

options:
  --config FILE     the cluster file (default: ./cluster.yml)
  --upstream URL    send traffic to this origin instead of the config's upstream.url
  --local-origin    (up) start the local origin and use it as the upstream
  -h, --help        this text
`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE)
    return command === undefined ? 2 : 0
  }
  switch (command) {
    case 'up': {
      const { values } = parseArgs({
        args: rest,
        options: { config: { type: 'string', default: 'cluster.yml' }, 'local-origin': { type: 'boolean', default: false }, upstream: { type: 'string' } },
        strict: true,
      })
      const { runUp } = await import('./supervisor.js')
      return runUp({ configFile: values.config, localOrigin: values['local-origin'], upstream: values.upstream })
    }
    case 'node': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { config: { type: 'string', default: 'cluster.yml' }, upstream: { type: 'string' } },
        allowPositionals: true,
        strict: true,
      })
      if (positionals.length !== 1) return usageError('node needs exactly one node id (meliproxy node n1)')
      const { runNode } = await import('./run-node.js')
      return runNode({ configFile: values.config, nodeId: positionals[0]!, upstream: values.upstream })
    }
    case 'origin': {
      const { values } = parseArgs({ args: rest, options: { listen: { type: 'string', default: '127.0.0.1:9000' } }, strict: true })
      const { runOrigin } = await import('./origin/main.js')
      return runOrigin(values.listen)
    }
    case 'keygen': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string', default: 'cluster.yml' } }, strict: true })
      const { runKeygen } = await import('./keygen.js')
      return runKeygen(values.config)
    }
    case 'check': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string', default: 'cluster.yml' } }, strict: true })
      const { runCheck } = await import('./check.js')
      return runCheck(values.config)
    }
    default:
      return usageError(`unknown command "${command}"`)
  }
}

function usageError(message: string): number {
  process.stderr.write(`meliproxy: ${message}\n\n${USAGE}`)
  return 2
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`meliproxy: ${err.message}\n`)
      process.exitCode = 78 // EX_CONFIG
      return
    }
    const e = err as { code?: string; message?: string }
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      process.exitCode = usageError(e.message ?? 'bad arguments')
      return
    }
    process.stderr.write(`meliproxy: ${e.message ?? String(err)}\n`)
    process.exitCode = 1
  },
)
