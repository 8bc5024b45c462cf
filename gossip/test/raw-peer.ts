// A bare libp2p host that speaks our protocol by hand, for the tests that send what a correct member never
// would: frames to impersonate a member (with its key), outsiders' hellos, oversized prefixes, broken envelopes.
import '../promise-with-resolvers.js'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { PrivateKey, Stream } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p } from 'libp2p'
import { FrameType, GOSSIP_PROTOCOL, PROTOCOL_VERSION, DEFAULT_CLUSTER_NAME } from '../constants.js'
import { frame, type Envelope } from '../frame-codec.js'
import { tcpMultiaddr } from '../member-address.js'
import { swarmKeyFromSecret } from '../swarm-key.js'

export interface RawPeerOptions { privateKey?: PrivateKey; secret?: string; /** e.g. '/ip4/127.0.0.1/tcp/7001' */ listen?: string }

export class RawPeer {
  private constructor(readonly node: Libp2p) {}

  static async create(options: RawPeerOptions = {}): Promise<RawPeer> {
    const node = await createLibp2p({
      ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
      ...(options.listen === undefined ? {} : { addresses: { listen: [options.listen] } }),
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      ...(options.secret === undefined ? {} : { connectionProtector: preSharedKey({ psk: swarmKeyFromSecret(options.secret) }) }),
      services: { identify: identify(), ping: ping() },
    })
    return new RawPeer(node)
  }

  get peerId(): string {
    return this.node.peerId.toString()
  }

  /** Opens a gossip stream to the host at 127.0.0.1:port (rejects when refused or after timeoutMs). */
  async open(port: number, timeoutMs = 3000): Promise<RawStream> {
    const stream = await this.node.dialProtocol(tcpMultiaddr('127.0.0.1', port), GOSSIP_PROTOCOL, {
      signal: AbortSignal.timeout(timeoutMs),
    })
    return new RawStream(stream)
  }

  async stop(): Promise<void> {
    await this.node.stop()
  }
}

export class RawStream {
  closed = false
  readonly received: Uint8Array[] = []
  constructor(readonly stream: Stream) {
    stream.addEventListener('close', () => {
      this.closed = true
    })
    stream.addEventListener('message', (e) => {
      this.received.push(e.data.subarray())
    })
    if (stream.status !== 'open') this.closed = true
  }

  sendRaw(bytes: Uint8Array): void {
    this.stream.send(bytes)
  }

  sendFrame(envelope: Envelope): void {
    this.stream.send(frame(envelope, 64 * 1024 * 1024, 'test frame'))
  }

  hello(name: string, peerId: string, channels: string[] = ['kv'], cluster = DEFAULT_CLUSTER_NAME): void {
    this.sendFrame({ t: FrameType.Hello, ts: Date.now(), p: { name, peerId, cluster, version: PROTOCOL_VERSION, channels } })
  }
}
