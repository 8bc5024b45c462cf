// Starts the local Meli-like origin: one uWS app (native binary only, see node/http/uws-native.ts) with
// the Meli routes, the /__origin/ test endpoints and Meli's 404 for everything else.
// The port is bound exclusively unless `reusePort` is set: uWS otherwise listens with SO_REUSEPORT, and
// a second origin started on a busy port would silently share its traffic instead of failing.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { TemplatedApp, us_listen_socket } from '@trufflesuite/uws-js-unofficial'
import { loadUws } from '../http/uws-native.js'
import { OriginListenError, OriginOptionsError } from './errors.js'
import { loadFixtures } from './fixture-loader.js'
import { registerMeliRoutes, registerNotFound } from './meli-routes.js'
import { OriginEventRecorder, type OriginEvents } from './origin-events.js'
import { PendingResponses } from './pending-responses.js'
import { registerTestEndpoints } from './test-endpoints.js'

export interface OriginOptions {
  /** Address to bind; default 127.0.0.1. */
  host?: string
  /** TCP port; 0 picks a free one (read it back from Origin.port). */
  port: number
  /** Directory holding `meli/<path>.json` + `.headers` fixtures; default this package's `fixtures/`. */
  fixturesDir?: string
  /** Delay added before every Meli route's response (not the /__origin/ endpoints); 0..60000, default 0. */
  latencyMs?: number
  /** Share the port with other processes (SO_REUSEPORT) instead of failing when it is taken; default false. */
  reusePort?: boolean
}

export interface Origin {
  /** The bound port (the real one when 0 was asked). */
  port: number
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:40123` (a wildcard host becomes loopback). */
  url: string
  /** Stops listening, closes every open connection and cancels pending timers. Safe to call twice. */
  close(): Promise<void>
  events: OriginEvents
}

export const ORIGIN_DEFAULTS = { host: '127.0.0.1', latencyMs: 0, maxLatencyMs: 60_000 } as const

/** `node/origin/fixtures` of this checkout, from the source file (tsx) or from `dist/node/origin/` (tsc build). */
export function defaultFixturesDir(): string {
  const candidates = [new URL('./fixtures/', import.meta.url), new URL('../../../node/origin/fixtures/', import.meta.url)]
  for (const c of candidates) {
    const dir = fileURLToPath(c)
    if (existsSync(dir)) return dir
  }
  return fileURLToPath(candidates[0]!)
}

export async function startOrigin(opts: OriginOptions): Promise<Origin> {
  const host = opts.host ?? ORIGIN_DEFAULTS.host
  const latencyMs = opts.latencyMs ?? ORIGIN_DEFAULTS.latencyMs
  if (!Number.isSafeInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new OriginOptionsError(`port: ${String(opts.port)} is not an integer in 0..65535`)
  if (!Number.isSafeInteger(latencyMs) || latencyMs < 0 || latencyMs > ORIGIN_DEFAULTS.maxLatencyMs) throw new OriginOptionsError(`latencyMs: ${String(latencyMs)} is not an integer in 0..${ORIGIN_DEFAULTS.maxLatencyMs}`)
  if (host.length === 0) throw new OriginOptionsError('host: empty; use an address such as 127.0.0.1')

  const uws = loadUws()
  const fixtures = await loadFixtures(opts.fixturesDir ?? defaultFixturesDir())
  const events = new OriginEventRecorder()
  const pending = new PendingResponses(events)
  const app = uws.App()
  registerMeliRoutes(app, { fixtures, latencyMs, events, pending })
  registerTestEndpoints(app, { events, pending })
  registerNotFound(app, events, latencyMs, pending)

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    const done = (ls: us_listen_socket | false): void => {
      if (ls !== false) {
        resolve(ls)
        return
      }
      closeApp(app)
      reject(new OriginListenError(host, opts.port))
    }
    if (opts.reusePort === true) app.listen(host, opts.port, done)
    else listenExclusive(app, host, opts.port, (uws as unknown as { LIBUS_LISTEN_EXCLUSIVE_PORT: number }).LIBUS_LISTEN_EXCLUSIVE_PORT, done)
  })
  const port = uws.us_socket_local_port(listenSocket)
  let closed = false

  return {
    port,
    url: `http://${urlHost(host)}:${port}`,
    events,
    close(): Promise<void> {
      if (!closed) {
        closed = true
        uws.us_listen_socket_close(listenSocket)
        pending.shutDown()
        closeApp(app)
      }
      return Promise.resolve()
    },
  }
}

// Not in the typings of this uWS build, but present: closes every socket, including idle keep-alives.
function closeApp(app: TemplatedApp): void {
  ;(app as TemplatedApp & { close(): void }).close()
}

// The typings only declare listen(port, options, cb); the binary also takes (host, port, options, cb).
function listenExclusive(app: TemplatedApp, host: string, port: number, options: number, cb: (ls: us_listen_socket | false) => void): void {
  ;(app as unknown as { listen(h: string, p: number, o: number, c: (ls: us_listen_socket | false) => void): void }).listen(host, port, options, cb)
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') ? `[${host}]` : host
}
