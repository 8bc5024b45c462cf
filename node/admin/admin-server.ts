// The node's admin address: health and readiness for orchestrators, the REST API (API.md), Prometheus metrics and
// the built admin UI. Cluster-wide answers come from every member over the peer protocol (peer-protocol.ts), whose
// handlers are registered here too, so a node answers its peers as soon as its admin side is up.
import type { TemplatedApp, us_listen_socket } from '@trufflesuite/uws-js-unofficial'
import type { HostPort } from '../config/schema.js'
import { closeApp, listenExclusive } from '../http/listen.js'
import { loadUws } from '../http/uws-native.js'
import type { Logger } from '../logger.js'
import type { MeliNode } from '../node.js'
import type { AdminNode } from './admin-node.js'
import { AdminRouter } from './admin-router.js'
import { BearerAuth } from './auth.js'
import { ClusterQuery } from './cluster-query.js'
import { clusterView } from './cluster-view.js'
import { CorsPolicy } from './cors.js'
import { estimate } from './estimate-view.js'
import { emptyReply, jsonReply } from './http-json.js'
import { AdminMetrics } from './metrics.js'
import { registerPeerHandlers } from './peer-protocol.js'
import { createRule, deleteRule, listRules, rulesUsage, updateRule } from './rules-routes.js'
import { defaultUiDirectory, StaticFiles } from './static-files.js'
import { statsView, topLimitedView } from './stats-view.js'

export interface AdminServerOptions {
  listen: HostPort
  logger: Logger
  /** Where the built admin UI is (default: admin-ui/dist of this checkout). */
  uiDirectory?: string
}

export class AdminServer {
  private readonly options: AdminServerOptions
  private app: TemplatedApp | null = null
  private listenSocket: us_listen_socket | null = null
  private metrics: AdminMetrics | null = null

  constructor(options: AdminServerOptions) {
    this.options = options
  }

  /** Registers the peer protocol and listens. Rejects with a ListenError when the address is taken. */
  async start(meli: MeliNode): Promise<void> {
    const node: AdminNode = meli
    const { logger } = this.options
    const adminConfig = node.options.config.admin
    registerPeerHandlers(node)

    const auth = new BearerAuth(node.options.adminToken)
    if (!auth.configured) logger.warn({}, 'no admin token is configured: the admin API refuses every change (set admin.token or MELIPROXY_ADMIN_TOKEN)')
    const staticFiles = new StaticFiles(this.options.uiDirectory ?? defaultUiDirectory())
    if (!staticFiles.available) logger.warn({ dir: staticFiles.directory }, 'the admin UI is not built: / answers 404 (npm run build:ui)')
    const metrics = new AdminMetrics(node)
    this.metrics = metrics
    const query = new ClusterQuery(node.gossip, logger, node.options.config.nodes.map((n) => n.id))
    const router = new AdminRouter({ auth, cors: new CorsPolicy(adminConfig.uiOrigin), openReads: adminConfig.openReads, staticFiles, logger })

    router.add('GET', '/healthz', 'open', () => jsonReply('200 OK', { status: 'ok' }))
    router.add('GET', '/readyz', 'open', () =>
      node.ready ? jsonReply('200 OK', { ready: true }) : jsonReply('503 Service Unavailable', { ready: false, reason: 'syncing' }),
    )
    router.add('GET', '/metrics', 'read', async () => ({
      status: '200 OK',
      contentType: metrics.contentType,
      body: await metrics.render(),
      headers: [],
    }))
    router.add('GET', '/api/v1/cluster', 'read', async () => jsonReply('200 OK', await clusterView(node, query)))
    router.add('GET', '/api/v1/stats', 'read', async (r) => jsonReply('200 OK', await statsView(node, query, r.query)))
    router.add('GET', '/api/v1/stats/top-limited', 'read', async (r) => jsonReply('200 OK', await topLimitedView(node, query, r.query)))
    router.add('GET', '/api/v1/rules', 'read', () => jsonReply('200 OK', listRules(node)))
    router.add('POST', '/api/v1/rules', 'write', (r) => jsonReply('201 Created', createRule(node, r.body)))
    router.add('GET', '/api/v1/rules/usage', 'read', () => jsonReply('200 OK', rulesUsage(node)))
    router.add('PUT', '/api/v1/rules/:id', 'write', (r) => jsonReply('200 OK', updateRule(node, r.params.id!, r.body)))
    router.add('DELETE', '/api/v1/rules/:id', 'write', (r) => {
      deleteRule(node, r.params.id!)
      return emptyReply('204 No Content')
    })
    router.add('GET', '/api/v1/estimate', 'read', (r) => jsonReply('200 OK', estimate(node, r.query)))

    const app = loadUws().App()
    app.any('/*', (res, req) => router.dispatch(res, req))
    this.app = app
    this.listenSocket = await listenExclusive(app, 'admin', this.options.listen)
  }

  stop(): void {
    if (this.app !== null) closeApp(this.app, this.listenSocket)
    this.app = null
    this.listenSocket = null
    this.metrics?.close()
    this.metrics = null
  }
}
