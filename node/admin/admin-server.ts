// The node's admin address: health and readiness for orchestrators, the REST API (API.md), Prometheus metrics and
// the built admin UI.
import type { TemplatedApp, us_listen_socket } from '@trufflesuite/uws-js-unofficial'
import type { HostPort } from '../config/schema.js'
import { closeApp, listenExclusive } from '../http/listen.js'
import { loadUws } from '../http/uws-native.js'
import type { Logger } from '../logger.js'
import type { MeliNode } from '../node.js'

export interface AdminServerOptions {
  listen: HostPort
  logger: Logger
}

export class AdminServer {
  private readonly options: AdminServerOptions
  private app: TemplatedApp | null = null
  private listenSocket: us_listen_socket | null = null

  constructor(options: AdminServerOptions) {
    this.options = options
  }

  async start(node: MeliNode): Promise<void> {
    const app = loadUws().App()
    app.get('/healthz', (res) => {
      res.cork(() => {
        res.writeHeader('content-type', 'application/json').end('{"status":"ok"}')
      })
    })
    app.get('/readyz', (res) => {
      const ready = node.ready
      res.cork(() => {
        res
          .writeStatus(ready ? '200 OK' : '503 Service Unavailable')
          .writeHeader('content-type', 'application/json')
          .end(ready ? '{"ready":true}' : '{"ready":false,"reason":"syncing"}')
      })
    })
    this.app = app
    this.listenSocket = await listenExclusive(app, 'admin', this.options.listen)
  }

  stop(): void {
    if (this.app !== null) closeApp(this.app, this.listenSocket)
    this.app = null
    this.listenSocket = null
  }
}
