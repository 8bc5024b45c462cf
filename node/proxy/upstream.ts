// The upstream side of a node: undici's Pool for every request, and, when upstream.client is "fast", the pipelined
// client (fast-upstream.ts) for GET and HEAD without a body. Both keep their connections alive to the same origin.
import { Pool } from 'undici'
import { FastUpstream } from './fast-upstream.js'

export interface UpstreamSettings {
  url: string
  connections: number
  timeoutMs: number        // until the response headers arrive → 504 after it
  connectTimeoutMs: number // TCP + TLS handshake → 504 after it
  bodyTimeoutMs: number    // idle time between body chunks
  keepAliveTimeoutMs: number
  /** Which client carries GET/HEAD without a body (default undici when absent). */
  client?: 'fast' | 'undici'
  /** Fast client: requests in flight per connection (1 = no pipelining). */
  pipelining?: number
  /** Fast client: keep-alive connections. */
  fastConnections?: number
}

export class Upstream {
  readonly origin: string
  /** The Host header sent upstream: the upstream's own authority (what TLS SNI and virtual hosting expect). */
  readonly host: string
  readonly pool: Pool
  /** The fast client, or null when upstream.client is undici. */
  readonly fast: FastUpstream | null

  constructor(settings: UpstreamSettings) {
    const url = new URL(settings.url)
    this.origin = url.origin
    this.host = url.host
    this.pool = new Pool(this.origin, {
      connections: settings.connections,
      pipelining: 1,
      headersTimeout: settings.timeoutMs,
      bodyTimeout: settings.bodyTimeoutMs,
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      connect: { timeout: settings.connectTimeoutMs },
    })
    this.fast =
      settings.client === 'fast'
        ? new FastUpstream({
            url: this.origin,
            ...(settings.fastConnections !== undefined ? { connections: settings.fastConnections } : {}),
            ...(settings.pipelining !== undefined ? { pipelining: settings.pipelining } : {}),
            headersTimeoutMs: settings.timeoutMs,
            bodyTimeoutMs: settings.bodyTimeoutMs,
            connectTimeoutMs: settings.connectTimeoutMs,
            keepAliveTimeoutMs: settings.keepAliveTimeoutMs,
          })
        : null
  }

  async close(): Promise<void> {
    await this.fast?.close()
    await this.pool.destroy()
  }
}
