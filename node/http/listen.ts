// Listening and closing for every uWS app of a node (proxy, admin). uWS sets SO_REUSEPORT unless told
// LIBUS_LISTEN_EXCLUSIVE_PORT, so without it a port already used by another uWS process looks free and two
// nodes would silently share it. The 4-argument listen and App.close() exist in uWS.js 20.30 but are missing from
// the package's typings.
import type { TemplatedApp, us_listen_socket } from '@trufflesuite/uws-js-unofficial'
import type { HostPort } from '../config/schema.js'
import { ListenError } from './errors.js'
import { loadUws } from './uws-native.js'

const LIBUS_LISTEN_EXCLUSIVE_PORT = 1

interface UwsAppWithExtras {
  listen(host: string, port: number, options: number, cb: (socket: us_listen_socket | false) => void): unknown
  close(): void
}

export function listenExclusive(app: TemplatedApp, what: 'http' | 'admin', at: HostPort): Promise<us_listen_socket> {
  return new Promise((resolve, reject) => {
    ;(app as unknown as UwsAppWithExtras).listen(at.host, at.port, LIBUS_LISTEN_EXCLUSIVE_PORT, (socket) => {
      if (socket) resolve(socket)
      else reject(new ListenError(what, at.host.includes(':') ? `[${at.host}]:${at.port}` : `${at.host}:${at.port}`))
    })
  })
}

/** Stops listening and closes every open connection of `app`. */
export function closeApp(app: TemplatedApp, socket: us_listen_socket | null): void {
  if (socket !== null) loadUws().us_listen_socket_close(socket)
  ;(app as unknown as UwsAppWithExtras).close()
}
