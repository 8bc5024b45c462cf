// A scripted upstream on loopback for what a well-behaved origin never does: it reads pipelined request heads off
// each connection and lets the test answer each one with whatever bytes (or silence, or a reset) it wants, in order.
// Plain TCP or TLS. It records what it saw: connections, requests, reads, how many requests were waiting at once.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'

export interface RawRequest {
  method: string
  path: string
  /** The whole request head as received (Latin-1). */
  head: string
  /** 1-based number of the connection it came on. */
  connection: number
  /** Requests on the same connection received before it and not answered yet when it arrived (pipelined behind). */
  behind: number
}

/** Answers one request: write to the socket, end it, destroy it, or do nothing at all. Runs after the previous one. */
export type Responder = (req: RawRequest, socket: Socket) => void | Promise<void>

export interface TlsIdentity {
  key: Buffer
  cert: Buffer
}

export class RawUpstream {
  readonly requests: RawRequest[] = []
  /** Per connection: how many 'data' events carried its request bytes. */
  readonly reads: number[] = []
  /** Per connection: the SNI name the client sent (TLS only). */
  readonly servernames: Array<string | false> = []
  connections = 0
  closedConnections = 0
  /** Most requests received on one connection and not yet answered, at any moment. */
  maxWaiting = 0
  private readonly sockets = new Set<Socket>()

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(respond: Responder, opts: { tls?: TlsIdentity; host?: string } = {}): Promise<RawUpstream> {
    let upstream: RawUpstream | undefined
    const onSocket = (socket: Socket): void => upstream!.serve(socket, respond)
    const server = opts.tls ? createTlsServer({ key: opts.tls.key, cert: opts.tls.cert }, onSocket) : createServer(onSocket)
    const host = opts.host ?? '127.0.0.1'
    await new Promise<void>((resolve) => server.listen(0, host, resolve))
    const { port } = server.address() as AddressInfo
    upstream = new RawUpstream(server, `${opts.tls ? 'https' : 'http'}://${host}:${port}`)
    return upstream
  }

  requestsFor(path: string): RawRequest[] {
    return this.requests.filter((r) => r.path === path)
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private serve(socket: Socket, respond: Responder): void {
    const connection = ++this.connections
    this.reads[connection - 1] = 0
    this.servernames[connection - 1] = (socket as TLSSocket).servername ?? false
    this.sockets.add(socket)
    let pending = Buffer.alloc(0)
    let waiting = 0
    let chain = Promise.resolve()
    socket.on('data', (data: Buffer) => {
      this.reads[connection - 1]!++
      pending = Buffer.concat([pending, data])
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.subarray(0, end + 4).toString('latin1')
        pending = pending.subarray(end + 4)
        const [method = '', path = ''] = head.split(' ')
        const req: RawRequest = { method, path, head, connection, behind: waiting }
        this.requests.push(req)
        waiting++
        this.maxWaiting = Math.max(this.maxWaiting, waiting)
        chain = chain.then(async () => {
          if (!socket.destroyed) await respond(req, socket)
          waiting--
        })
      }
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      this.closedConnections++
      this.sockets.delete(socket)
    })
  }
}

/** A response with a Content-Length body (Latin-1 text). */
export function lengthResponse(body: string, extraHeaders = '', status = '200 OK'): string {
  return `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\n${extraHeaders}Content-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`
}

/** A self-signed certificate for localhost and 127.0.0.1, made with openssl for this test run. */
export function selfSignedIdentity(): TlsIdentity {
  const dir = mkdtempSync(join(tmpdir(), 'meliproxy-tls-'))
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' })
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
