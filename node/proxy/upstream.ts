// The upstream pool: keep-alive HTTP/1.1 connections from this node to the API origin (undici Pool).
import { Pool } from 'undici'

export interface UpstreamSettings {
  url: string
  connections: number
  timeoutMs: number        // until the response headers arrive → 504 after it
  connectTimeoutMs: number // TCP + TLS handshake → 504 after it
  bodyTimeoutMs: number    // idle time between body chunks
  keepAliveTimeoutMs: number
}

export class Upstream {
  readonly origin: string
  /** The Host header sent upstream: the upstream's own authority (what TLS SNI and virtual hosting expect). */
  readonly host: string
  readonly pool: Pool

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
  }

  close(): Promise<void> {
    return this.pool.destroy()
  }
}
