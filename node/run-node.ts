// `meliproxy node ID`: one node in this process until SIGINT/SIGTERM. Exits non-zero with one clear line when the
// config is bad, the id is unknown or an address is taken.
import { loadConfigFile } from './config/load-config.js'
import { ConfigError } from './config/errors.js'
import { createLogger } from './logger.js'
import { MeliNode } from './node.js'

export interface RunNodeOptions {
  configFile: string
  nodeId: string
  upstream: string | undefined
}

/** Sent to the parent process (meliproxy up, tests) over IPC once the node serves. */
export interface NodeReadyMessage {
  type: 'ready'
  id: string
  peerId: string
  http: string
  admin: string
  p2p: string
}

export async function runNode(opts: RunNodeOptions): Promise<number> {
  const { config } = loadConfigFile(opts.configFile)
  const node = config.nodes.find((n) => n.id === opts.nodeId)
  if (node === undefined) {
    throw new ConfigError(opts.configFile, [`nodes: no node with id "${opts.nodeId}" (the file defines ${config.nodes.map((n) => n.id).join(', ')})`])
  }
  const logger = createLogger({ node: node.id })
  const running = await MeliNode.start({
    config,
    node,
    configFile: opts.configFile,
    upstreamUrl: opts.upstream ?? config.upstream.url,
    adminToken: config.admin.token ?? emptyToUndefined(process.env.MELIPROXY_ADMIN_TOKEN),
    clusterSecret: config.cluster.secret ?? emptyToUndefined(process.env.MELIPROXY_CLUSTER_SECRET),
    logger,
  })
  const ready: NodeReadyMessage = {
    type: 'ready',
    id: node.id,
    peerId: running.peerId,
    http: `http://${hostPort(node.http)}`,
    admin: `http://${hostPort(node.admin)}`,
    p2p: hostPort(node.p2p),
  }
  process.send?.(ready)

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'stopping')
      running.stop().then(resolve, (err: unknown) => {
        logger.error({ err }, 'error while stopping')
        resolve()
      })
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('disconnect', () => stop('parent-gone'))
  })
  logger.flush()
  // libp2p and undici keep handles that would hold the process ~1 s after stop (NOTES-libp2p.md): exit now.
  setImmediate(() => process.exit(0))
  return 0
}

function hostPort(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}

function emptyToUndefined(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v
}
