// The gossip host: one libp2p node (TCP, pnet, Noise, Yamux, identify, ping) and the protocol on top of it.
//
//   per member:  dial loop ──► outbound PeerLink  (ours: hello, snapshots, deltas, heartbeats, requests ⇄ responses)
//                handler   ◄── inbound PeerLink   (theirs: same frames the other way)
//
// - Dial loop: one per member, for as long as we run. It dials, opens our stream, sends hello, then a snapshot of
//   every channel in parts paced by the peer's reading (outbound-snapshot.ts), waits for the stream to close, then
//   waits a jittered backoff (100 ms doubling to 2 s, reset after a stable link) and dials again. libp2p neither
//   redials nor reopens streams; this loop does both.
// - Inbound: the first frame must be a hello naming a member whose peer id matches the authenticated connection;
//   otherwise the connection is closed. Snapshot parts follow, applied as they arrive; when the last part of every
//   announced channel's snapshot has arrived the member is synced ('up'); once every member has synced (or
//   syncTimeoutMs passed) we are ready. Every valid frame of a member is reported to onHeard.
// - Timers: the gossip tick every intervalMs (deltas: one write per peer, all channels batched; more snapshot parts;
//   a heartbeat to every peer that got nothing else since the last tick), an early push when a channel's
//   pendingSize reaches batchSize, and a health tick that recomputes member states from silence (member-state.ts)
//   and sends heartbeats when intervalMs is longer than suspectAfterMs/4.
import './promise-with-resolvers.js'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Connection, PrivateKey, Stream } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p } from 'libp2p'
import {
  DIAL_TIMEOUT_MS,
  FrameType,
  GOSSIP_PROTOCOL,
  HELLO_TIMEOUT_MS,
  LAG_SAMPLES,
  LINK_STABLE_AFTER_MS,
  MAX_INBOUND_REQUESTS_PER_PEER,
  MAX_METHOD_NAME_LENGTH,
  MAX_PING_STREAMS,
  MAX_STREAMS_PER_CONNECTION,
  MAX_ENVELOPE_OVERHEAD_BYTES,
  MIN_PEER_WRITE_BUFFER_BYTES,
  PING_INTERVAL_MS,
  PROTOCOL_VERSION,
  SNAPSHOT_LOW_WATER_BYTES,
  SNAPSHOT_SLICE_MS,
} from './constants.js'
import {
  GossipArgumentError,
  GossipConfigError,
  GossipFrameTooLargeError,
  GossipListenError,
  GossipMalformedFrameError,
  GossipPeerRejectedError,
  GossipPeerUnavailableError,
  GossipRemoteError,
  GossipStateError,
  GossipStoppedError,
  GossipTimeoutError,
  GossipUnknownMemberError,
  REMOTE_CODE_BUSY,
  REMOTE_CODE_NO_HANDLER,
  type GossipSlowPeerError,
} from './errors.js'
import {
  encodeEnvelope,
  frame,
  HEARTBEAT_FRAME,
  joinFrames,
  type Envelope,
  type HelloFrame,
  type RequestFrame,
  type ResponseFrame,
  type SnapshotFrame,
} from './frame-codec.js'
import { validateAddedMember, type GossipConfig, type MemberConfig } from './gossip-config.js'
import type { Gossip, GossipMember, GossipStats, MemberState, MemberView, ReplicatedChannel, RequestHandler } from './index.js'
import { LagWindow } from './lag-window.js'
import { allowListEntry, resolveHost, tcpMultiaddr } from './member-address.js'
import { memberGater } from './member-gater.js'
import { memberState } from './member-state.js'
import { saveAddedMembers } from './member-store.js'
import { OutboundSnapshot, type OutboundSnapshotHooks, type SnapshotSource } from './outbound-snapshot.js'
import { PeerLink, type PeerLinkSink } from './peer-link.js'
import { RedialBackoff } from './redial-backoff.js'
import { swarmKeyFromSecret } from './swarm-key.js'

class MemberRecord {
  readonly name: string
  readonly p2p: string
  readonly config: MemberConfig
  /** Configured, or learned from its authenticated connection when not configured. */
  peerId: string | null
  /** Its stream to us, once its hello was accepted. */
  inbound: PeerLink | null = null
  /** Our stream to it. */
  outbound: PeerLink | null = null
  hadOutbound = false
  lastHeardAt: number | null = null
  waitingSince = 0
  /** Channels announced in its current stream's hello whose snapshot has not arrived yet (its last part). */
  pendingSnapshots = new Set<string>()
  /** Snapshots arriving in parts on its current stream, by channel: the next part index expected. */
  snapshotsIn = new Map<string, number>()
  /** Our snapshot still being written on our current stream to it (null when all of it is written). */
  snapshotOut: OutboundSnapshot | null = null
  synced = false
  syncedOnce = false
  connectedSince: number | null = null
  state: MemberState = 'connecting'
  bytesIn = 0
  bytesOut = 0
  framesIn = 0
  framesOut = 0
  inboundRequests = 0
  readonly lag = new LagWindow(LAG_SAMPLES)
  readonly backoff = new RedialBackoff()
  /** Cuts the dial loop's backoff wait short (the member just connected to us, so dial it back now). */
  wake: (() => void) | null = null

  constructor(config: MemberConfig) {
    this.config = config
    this.name = config.name
    this.p2p = config.p2p
    this.peerId = config.peerId
  }
}

interface PendingRequest {
  resolve: (value: unknown) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
  link: PeerLink
  member: string
  method: string
}

type Status = 'new' | 'starting' | 'running' | 'stopping' | 'stopped'

export class GossipHost implements Gossip {
  readonly peerId: string
  private readonly config: GossipConfig
  private readonly libp2p: Libp2p
  private readonly listenAddress: string
  private readonly peers: MemberRecord[] = []
  private readonly byName = new Map<string, MemberRecord>()
  private readonly byPeerId = new Map<string, MemberRecord>()
  /** Peer ids admitted by the gater, when members are pinned by peer id (null: no allow-list). */
  private readonly allowedPeerIds: Set<string> | null
  private readonly addedMembers: GossipMember[]
  private readonly channelNames: string[]
  private readonly handlers = new Map<string, RequestHandler>()
  private readonly pending = new Map<number, PendingRequest>()
  private readonly listeners: Array<(m: MemberView) => void> = []
  private readonly helloTimers = new Map<PeerLink, NodeJS.Timeout>()
  private readonly maxWriteBufferBytes: number
  private readonly heartbeatAfterMs: number
  private readonly healthTickMs: number
  private lastHealthTickAt = 0
  private readonly counters: GossipStats = {
    bytesIn: 0,
    bytesOut: 0,
    framesIn: 0,
    framesOut: 0,
    malformedFrames: 0,
    reconnects: 0,
    rejectedPeers: 0,
    slowPeerAborts: 0,
    oversizedOutbound: 0,
    inboundStreams: 0,
  }
  private status: Status = 'new'
  private startedAt = 0
  private nextRequestId = 1
  private isReady = false
  private readonly readyPromise: Promise<void>
  private resolveReady!: () => void
  private rejectReady!: (err: Error) => void
  private readonly loops = new AbortController()
  private timers: NodeJS.Timeout[] = []
  private readyTimer: NodeJS.Timeout | null = null
  private readonly sink: PeerLinkSink
  private readonly snapshotHooks: OutboundSnapshotHooks
  private memberChanges: Promise<void> = Promise.resolve()

  static async create(config: GossipConfig, privateKey: PrivateKey, added: readonly GossipMember[]): Promise<GossipHost> {
    const peerId = peerIdFromPrivateKey(privateKey).toString()
    if (config.self.peerId !== null && config.self.peerId !== peerId) {
      throw new GossipConfigError([
        `self.peerId: ${JSON.stringify(config.self.peerId)} is not this node's peer id ${peerId} (key in ${config.dataDir})`,
      ])
    }
    const peers = [...config.peers]
    const addedKept: GossipMember[] = []
    for (const m of added) {
      // A member later written into cluster.yml (same name) is taken from there; the stored copy is ignored.
      if (m.name === config.self.name || peers.some((p) => p.name === m.name)) continue
      try {
        peers.push(validateAddedMember(m, [config.self, ...peers]))
        addedKept.push(m)
      } catch (err) {
        config.logger.warn({ member: m, err: (err as Error).message }, 'ignoring a stored run-time member')
      }
    }
    let listenIp: string
    try {
      listenIp = await resolveHost(config.self.hostPort.host)
    } catch (err) {
      throw new GossipListenError(config.self.p2p, `cannot resolve ${config.self.hostPort.host}`, { cause: err })
    }
    const allow: string[] = []
    for (const m of peers) {
      try {
        allow.push(allowListEntry(await resolveHost(m.hostPort.host)))
      } catch (err) {
        config.logger.warn({ member: m.name, address: m.p2p, err: (err as Error).message }, 'cannot resolve a member address')
      }
    }
    const pinned = peers.length > 0 && peers.every((m) => m.peerId !== null)
    if (!pinned && peers.some((m) => m.peerId !== null)) {
      config.logger.warn(
        { unpinned: peers.filter((m) => m.peerId === null).map((m) => m.name) },
        'some members have no peerId: the peer id allow-list is off; set every member peerId to turn it on',
      )
    }
    if (!pinned && config.secret === undefined && peers.length > 0) {
      config.logger.warn({}, 'no cluster secret and no member peer ids: any host that reaches the gossip port can join by name')
    }
    const allowedPeerIds = pinned ? new Set(peers.map((m) => m.peerId as string)) : null
    // Pings overlap while a peer is busy; only the timeout (up to 2 × suspectAfterMs) may end the connection.
    const pingStreams = Math.min(MAX_PING_STREAMS, Math.ceil((2 * config.suspectAfterMs) / PING_INTERVAL_MS) + 2)
    const libp2p = await createLibp2p({
      start: false,
      privateKey,
      addresses: { listen: [tcpMultiaddr(listenIp, config.self.hostPort.port).toString()] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      ...(config.secret === undefined ? {} : { connectionProtector: preSharedKey({ psk: swarmKeyFromSecret(config.secret) }) }),
      ...(allowedPeerIds === null ? {} : { connectionGater: memberGater((id) => allowedPeerIds.has(id)) }),
      // Members are exempt from the inbound rate limit (5/s/IP) and the pending-handshake cap (10): a cluster on one
      // machine, or many members restarting at once, would otherwise be refused.
      connectionManager: { allow, dialTimeout: DIAL_TIMEOUT_MS },
      connectionMonitor: {
        pingInterval: PING_INTERVAL_MS,
        pingTimeout: { minTimeout: config.suspectAfterMs, maxTimeout: 2 * config.suspectAfterMs },
      },
      services: { identify: identify(), ping: ping({ maxInboundStreams: pingStreams, maxOutboundStreams: pingStreams }) },
    })
    return new GossipHost(config, libp2p, peerId, peers, addedKept, allowedPeerIds, listenIp)
  }

  private constructor(
    config: GossipConfig,
    libp2p: Libp2p,
    peerId: string,
    peers: MemberConfig[],
    added: GossipMember[],
    allowedPeerIds: Set<string> | null,
    listenIp: string,
  ) {
    this.config = config
    this.libp2p = libp2p
    this.peerId = peerId
    this.listenAddress = `${listenIp}:${config.self.hostPort.port}`
    this.addedMembers = added
    this.allowedPeerIds = allowedPeerIds
    this.channelNames = [...config.channels.keys()]
    this.maxWriteBufferBytes = Math.max(MIN_PEER_WRITE_BUFFER_BYTES, 4 * config.maxFrameBytes)
    this.heartbeatAfterMs = config.suspectAfterMs / 4
    this.healthTickMs = Math.min(250, Math.max(10, Math.floor(config.suspectAfterMs / 8)))
    for (const m of peers) this.addRecord(m)
    this.readyPromise = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve
      this.rejectReady = reject
    })
    // whenReady() callers attach their own handlers; this one only keeps a rejection at stop() from being unhandled.
    this.readyPromise.catch(() => undefined)
    this.snapshotHooks = {
      maxPayloadBytes: config.maxFrameBytes - MAX_ENVELOPE_OVERHEAD_BYTES,
      onOversized: (channel, bytes) => this.oversized(channel, bytes, 'snapshot part (sent empty)'),
      onError: (channel, err) => {
        this.config.logger.error({ channel, err: errorMessage(err) }, 'channel snapshot threw; peers will not sync it from us')
      },
    }
    this.sink = {
      onFrame: (link, envelope, bytes) => this.onFrame(link, envelope, bytes),
      onMalformed: (link, err) => this.onMalformed(link, err),
      onSlow: (link, err) => this.onSlow(link, err),
      onClose: (link) => this.onLinkClosed(link),
    }
  }

  get ready(): boolean {
    return this.isReady
  }

  whenReady(): Promise<void> {
    return this.readyPromise
  }

  async start(): Promise<void> {
    if (this.status !== 'new') throw new GossipStateError(`start(): the gossip host is ${this.status}; a Gossip starts once`)
    this.status = 'starting'
    this.startedAt = this.config.now()
    for (const m of this.peers) m.waitingSince = this.startedAt
    try {
      await this.libp2p.handle(GOSSIP_PROTOCOL, (stream, connection) => this.onInboundStream(stream, connection), {
        maxInboundStreams: MAX_STREAMS_PER_CONNECTION,
        maxOutboundStreams: MAX_STREAMS_PER_CONNECTION,
      })
      await this.libp2p.start()
    } catch (err) {
      this.status = 'stopped'
      await Promise.resolve(this.libp2p.stop()).catch(() => undefined)
      const message = (err as Error).message
      const reason = message.includes('EADDRINUSE')
        ? 'address already in use (another process listens on this port)'
        : message.includes('EADDRNOTAVAIL')
          ? 'address not available on this host'
          : message
      throw new GossipListenError(this.listenAddress, reason, { cause: err })
    }
    this.status = 'running'
    this.lastHealthTickAt = performance.now()
    this.config.logger.info(
      { peerId: this.peerId, listen: this.listenAddress, members: this.peers.map((m) => m.name), pinned: this.allowedPeerIds !== null },
      'gossip host listening',
    )
    this.timers.push(
      setInterval(() => this.gossipTick(), this.config.intervalMs),
      setInterval(() => this.pushFullBatches(), Math.max(1, Math.floor(this.config.intervalMs / 4))),
      setInterval(() => this.healthTick(), this.healthTickMs),
    )
    if (this.peers.length === 0) this.markReady()
    else this.readyTimer = setTimeout(() => this.markReady(), this.config.syncTimeoutMs)
    for (const m of this.peers) void this.dialLoop(m)
  }

  async stop(): Promise<void> {
    if (this.status === 'stopped' || this.status === 'stopping') return
    const wasRunning = this.status === 'running'
    if (wasRunning) this.flush()
    this.status = 'stopping'
    for (const timer of this.timers) clearInterval(timer)
    this.timers = []
    if (this.readyTimer !== null) clearTimeout(this.readyTimer)
    this.loops.abort()
    if (!this.isReady) this.rejectReady(new GossipStoppedError('whenReady()'))
    for (const [id, request] of this.pending) {
      clearTimeout(request.timer)
      this.pending.delete(id)
      request.reject(new GossipStoppedError(`request ${request.method} to ${request.member}`))
    }
    for (const timer of this.helloTimers.values()) clearTimeout(timer)
    const links: PeerLink[] = [...this.helloTimers.keys()]
    for (const m of this.peers) {
      if (m.outbound !== null) links.push(m.outbound)
      if (m.inbound !== null) links.push(m.inbound)
    }
    await Promise.all(links.map((link) => link.close()))
    await this.libp2p.stop()
    this.status = 'stopped'
    if (wasRunning) this.config.logger.info({ peerId: this.peerId }, 'gossip host stopped')
  }

  members(): MemberView[] {
    const self: MemberView = {
      name: this.config.self.name,
      peerId: this.peerId,
      address: this.config.self.p2p,
      state: 'self',
      lastHeardAt: null,
      lagMs: null,
      connectedSince: null,
      bytesIn: 0,
      bytesOut: 0,
      framesIn: 0,
      framesOut: 0,
    }
    return [self, ...this.peers.map((m) => this.view(m))]
  }

  stats(): GossipStats {
    return { ...this.counters }
  }

  flush(): void {
    if (this.status === 'running') this.pushDeltas(false)
  }

  handle(method: string, handler: RequestHandler): void {
    checkMethod(method)
    if (typeof handler !== 'function') throw new GossipArgumentError(`handler of ${method}: is not a function`)
    this.handlers.set(method, handler)
  }

  on(event: 'member', listener: (m: MemberView) => void): void {
    if (event !== 'member') throw new GossipArgumentError(`on(): unknown event ${JSON.stringify(event)}; only 'member'`)
    this.listeners.push(listener)
  }

  addMember(m: GossipMember): Promise<void> {
    // One at a time: each call validates against, and rewrites the file from, the members the previous one left.
    const run = this.memberChanges.then(() => this.addMemberNow(m))
    this.memberChanges = run.catch(() => undefined)
    return run
  }

  private async addMemberNow(m: GossipMember): Promise<void> {
    if (this.status === 'stopping' || this.status === 'stopped') throw new GossipStateError('addMember(): the gossip host stopped')
    const member = validateAddedMember(m, [this.config.self, ...this.peers.map((p) => p.config)])
    if (this.allowedPeerIds !== null && member.peerId === null) {
      throw new GossipConfigError([
        `member.peerId: missing; this cluster admits members by peer id (print it with \`meliproxy keygen\` on the new node)`,
      ])
    }
    const stored: GossipMember = member.peerId === null ? { name: member.name, p2p: member.p2p } : { name: member.name, p2p: member.p2p, peerId: member.peerId }
    await saveAddedMembers(this.config.dataDir, [...this.addedMembers, stored])
    this.addedMembers.push(stored)
    const record = this.addRecord(member)
    record.waitingSince = this.config.now()
    if (member.peerId !== null) this.allowedPeerIds?.add(member.peerId)
    this.config.logger.info({ member: member.name, address: member.p2p, peerId: member.peerId }, 'member added')
    this.emit(record)
    if (this.status === 'running') void this.dialLoop(record)
  }

  async request(peer: string, method: string, body: unknown, timeoutMs: number): Promise<unknown> {
    checkMethod(method)
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new GossipArgumentError(`timeoutMs: ${timeoutMs} is not a positive number`)
    if (this.status !== 'running') throw new GossipStateError(`request(): the gossip host is ${this.status}`)
    if (peer === this.config.self.name || peer === this.peerId) return this.requestSelf(method, body, timeoutMs)
    const member = this.byName.get(peer) ?? this.byPeerId.get(peer)
    if (member === undefined) throw new GossipUnknownMemberError(peer)
    const link = member.outbound
    if (link === null || !link.open) throw new GossipPeerUnavailableError(member.name, `no open gossip stream (it is ${member.state})`)
    const id = this.nextRequestId++
    const envelope: RequestFrame = { t: FrameType.Request, ts: this.config.now(), id, m: method, p: body }
    const bytes = frame(envelope, this.config.maxFrameBytes, `request ${method} to ${member.name}`)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new GossipTimeoutError(member.name, method, timeoutMs))
      }, timeoutMs)
      this.pending.set(id, { resolve, reject, timer, link, member: member.name, method })
      if (!this.sendOn(member, link, bytes, 1)) {
        clearTimeout(timer)
        this.pending.delete(id)
        reject(new GossipPeerUnavailableError(member.name, 'its gossip stream closed'))
      }
    })
  }

  private async requestSelf(method: string, body: unknown, timeoutMs: number): Promise<unknown> {
    const handler = this.handlers.get(method)
    const self = this.config.self.name
    if (handler === undefined) throw new GossipRemoteError(self, method, `no handler for ${method}`, REMOTE_CODE_NO_HANDLER)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new GossipTimeoutError(self, method, timeoutMs)), timeoutMs)
    })
    try {
      return await Promise.race([
        Promise.resolve()
          .then(() => handler(this.peerId, body))
          .catch((err: unknown) => {
            throw new GossipRemoteError(self, method, errorMessage(err), errorCode(err))
          }),
        timeout,
      ])
    } finally {
      clearTimeout(timer)
    }
  }

  // ---- members and state ------------------------------------------------------------------------------------

  private addRecord(config: MemberConfig): MemberRecord {
    const record = new MemberRecord(config)
    this.peers.push(record)
    this.byName.set(record.name, record)
    if (record.peerId !== null) this.byPeerId.set(record.peerId, record)
    return record
  }

  private view(m: MemberRecord): MemberView {
    return {
      name: m.name,
      peerId: m.peerId,
      address: m.p2p,
      state: m.state,
      lastHeardAt: m.lastHeardAt,
      lagMs: m.lag.percentiles(),
      connectedSince: m.connectedSince,
      bytesIn: m.bytesIn,
      bytesOut: m.bytesOut,
      framesIn: m.framesIn,
      framesOut: m.framesOut,
    }
  }

  private emit(m: MemberRecord): void {
    if (this.listeners.length === 0) return
    const view = this.view(m)
    for (const listener of this.listeners) {
      try {
        listener(view)
      } catch (err) {
        this.config.logger.error({ err: errorMessage(err) }, 'a gossip member listener threw')
      }
    }
  }

  private updateState(m: MemberRecord, now: number): void {
    const next = memberState(
      { lastHeardAt: m.lastHeardAt, linked: m.inbound !== null, synced: m.synced, waitingSince: m.waitingSince },
      now,
      this.config,
    )
    if (next === m.state) return
    const previous = m.state
    m.state = next
    const log = next === 'down' || next === 'suspect' ? this.config.logger.warn : this.config.logger.info
    log.call(this.config.logger, { member: m.name, peerId: m.peerId, from: previous, to: next, lastHeardAt: m.lastHeardAt }, 'gossip member state')
    if (next === 'down') {
      // Whatever is still open to it is stale (a stopped process keeps its TCP connection for seconds): drop it so
      // the dial loop starts afresh, and dial now rather than after the current backoff.
      m.inbound?.abort(new Error(`member ${m.name} is down`))
      m.outbound?.abort(new Error(`member ${m.name} is down`))
      m.wake?.()
    }
    this.emit(m)
  }

  private healthTick(): void {
    if (this.status !== 'running') return
    const now = this.config.now()
    // After a stall of our own event loop (GC, CPU starvation), timers run before the socket reads that queued up
    // meanwhile: the silence we would see is ours, not theirs. Judge liveness on the next tick, once I/O ran.
    const tickAt = performance.now()
    const stalled = tickAt - this.lastHealthTickAt > this.healthTickMs + this.config.suspectAfterMs / 2
    this.lastHealthTickAt = tickAt
    for (const m of this.peers) {
      const link = m.outbound
      if (link !== null && link.open && now - link.lastSentAt >= this.heartbeatAfterMs) this.sendOn(m, link, HEARTBEAT_FRAME, 1)
      if (!stalled) this.updateState(m, now)
    }
  }

  private markReady(): void {
    if (this.isReady || this.status !== 'running') return
    this.isReady = true
    if (this.readyTimer !== null) clearTimeout(this.readyTimer)
    // A member we stopped waiting for is down from now on: say so before anyone reads members() after whenReady().
    const now = this.config.now()
    for (const m of this.peers) this.updateState(m, now)
    const synced = this.peers.filter((m) => m.syncedOnce).map((m) => m.name)
    const missing = this.peers.filter((m) => !m.syncedOnce).map((m) => m.name)
    const log = missing.length === 0 ? this.config.logger.info : this.config.logger.warn
    log.call(this.config.logger, { synced, missing, afterMs: this.config.now() - this.startedAt }, 'gossip ready')
    this.resolveReady()
  }

  private checkReady(): void {
    if (!this.isReady && this.peers.every((m) => m.syncedOnce)) this.markReady()
  }

  private updateConnectedSince(m: MemberRecord): void {
    if (m.inbound === null && m.outbound === null) m.connectedSince = null
    else if (m.connectedSince === null) m.connectedSince = this.config.now()
  }

  // ---- outbound: dial loop ----------------------------------------------------------------------------------

  private async dialLoop(m: MemberRecord): Promise<void> {
    const signal = this.loops.signal
    while (!signal.aborted) {
      const link = await this.openOutbound(m)
      if (link !== null) {
        await link.closed
        if (signal.aborted) return
        if (link.connection.status !== 'open' || this.config.now() - link.openedAt >= LINK_STABLE_AFTER_MS) {
          // A connection that died (peer restarted or cut off) is a fresh start; so is the end of a long healthy link.
          m.backoff.reset()
        }
      }
      await this.backoffWait(m, m.backoff.next())
    }
  }

  private backoffWait(m: MemberRecord, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.loops.signal
      if (signal.aborted) return resolve()
      const done = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        m.wake = null
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal.addEventListener('abort', done)
      m.wake = done
    })
  }

  private async openOutbound(m: MemberRecord): Promise<PeerLink | null> {
    const signal = AbortSignal.any([this.loops.signal, AbortSignal.timeout(DIAL_TIMEOUT_MS)])
    let stream: Stream | undefined
    try {
      const ip = await resolveHost(m.config.hostPort.host)
      const connection = await this.libp2p.dial(tcpMultiaddr(ip, m.config.hostPort.port, m.peerId), { signal })
      stream = await connection.newStream(GOSSIP_PROTOCOL, { signal })
      if (this.status !== 'running') {
        stream.abort(new GossipStoppedError('dial'))
        return null
      }
      const link = new PeerLink({
        direction: 'outbound',
        stream,
        connection,
        maxFrameBytes: this.config.maxFrameBytes,
        maxWriteBufferBytes: this.maxWriteBufferBytes,
        now: this.config.now,
        sink: this.sink,
      })
      if (!link.open) return null
      this.bindPeerId(m, link.remotePeerId)
      if (m.outbound !== null) m.outbound.abort(new Error('replaced by a newer stream'))
      m.outbound = link
      if (m.hadOutbound) this.counters.reconnects++
      m.hadOutbound = true
      this.updateConnectedSince(m)
      this.sendHello(m, link)
      this.config.logger.debug({ member: m.name, peerId: link.remotePeerId }, 'gossip stream opened')
      return link
    } catch (err) {
      stream?.abort(err as Error)
      if (!this.loops.signal.aborted) {
        this.config.logger.debug({ member: m.name, address: m.p2p, err: errorMessage(err) }, 'gossip dial failed')
      }
      return null
    }
  }

  private bindPeerId(m: MemberRecord, peerId: string): void {
    if (m.peerId === peerId) return
    if (m.peerId !== null) {
      this.config.logger.warn({ member: m.name, was: m.peerId, now: peerId }, 'member changed peer id (new key in its dataDir?)')
      this.byPeerId.delete(m.peerId)
    }
    m.peerId = peerId
    this.byPeerId.set(peerId, m)
  }

  /**
   * Hello, then the snapshot of every channel, taken now and written in parts as the peer reads them. Every delta
   * taken from now on also goes to this stream, so the peer misses nothing the snapshot does not hold. The hello goes
   * first: taking a large snapshot can hold the event loop, and the peer closes a stream that says no hello in time.
   */
  private sendHello(m: MemberRecord, link: PeerLink): void {
    const now = this.config.now()
    const hello: HelloFrame = {
      t: FrameType.Hello,
      ts: now,
      p: { name: this.config.self.name, peerId: this.peerId, cluster: this.config.cluster, version: PROTOCOL_VERSION, channels: this.channelNames },
    }
    if (!this.sendOn(m, link, frame(hello, this.config.maxFrameBytes, 'hello'), 1)) return
    const sources: SnapshotSource[] = []
    for (const [name, channel] of this.config.channels) {
      try {
        sources.push({ name, parts: snapshotParts(channel.snapshot(now)) })
      } catch (err) {
        this.config.logger.error({ channel: name, err: errorMessage(err) }, 'channel snapshot threw; peers will not sync it from us')
      }
    }
    m.snapshotOut = new OutboundSnapshot(now, sources, this.snapshotHooks)
    link.onWritable = () => this.pumpSnapshot(m, link)
    this.pumpSnapshot(m, link)
  }

  /**
   * Writes parts of our snapshot to m while little is queued on its stream, for at most SNAPSHOT_SLICE_MS; when the
   * slice runs out first, continues on the next turn of the event loop. Called after the hello, whenever the stream's
   * write buffer empties, and on every gossip tick.
   */
  private pumpSnapshot(m: MemberRecord, link: PeerLink): void {
    const out = m.snapshotOut
    if (out === null || out.pumping || m.outbound !== link || !link.open) return
    out.pumping = true
    const sliceEnd = performance.now() + SNAPSHOT_SLICE_MS
    try {
      while (link.open && link.stream.writeBufferLength < SNAPSHOT_LOW_WATER_BYTES) {
        if (performance.now() >= sliceEnd) {
          if (!out.scheduled) {
            out.scheduled = true
            setImmediate(() => {
              out.scheduled = false
              this.pumpSnapshot(m, link)
            })
          }
          return
        }
        const part = out.next()
        if (part === undefined) {
          m.snapshotOut = null
          link.onWritable = null
          return
        }
        const envelope: SnapshotFrame = { t: FrameType.Snapshot, ts: out.ts, c: part.channel, p: part.payload, i: part.index }
        if (!part.last) envelope.more = true
        if (!this.sendOn(m, link, frame(envelope, this.config.maxFrameBytes, `snapshot part of channel ${part.channel}`), 1)) return
      }
    } catch (err) {
      // Parts over the frame limit are sent empty, so this is a bug; the peer could not complete the snapshot on
      // this stream anyway: start afresh on a new one.
      this.config.logger.error({ member: m.name, err: errorMessage(err) }, 'snapshot part not sent; resetting the stream')
      link.abort(err as Error)
    } finally {
      out.pumping = false
    }
  }

  /** Counts and logs a channel part over the frame limit, which is not sent. */
  private oversized(channel: string, bytes: number, what: string): void {
    this.counters.oversizedOutbound++
    const limit = this.config.maxFrameBytes - MAX_ENVELOPE_OVERHEAD_BYTES
    this.config.logger.error({ channel, what, bytes, limit }, 'channel part over the frame limit not sent')
  }

  // ---- deltas -----------------------------------------------------------------------------------------------

  private pushFullBatches(): void {
    if (this.status !== 'running') return
    for (const channel of this.config.channels.values()) {
      if (channel.pendingSize() >= this.config.batchSize) {
        this.pushDeltas(true)
        return
      }
    }
  }

  /** The gossip tick: deltas, more of the snapshots being written, and a heartbeat to every peer that got nothing. */
  private gossipTick(): void {
    if (this.status !== 'running') return
    this.pushDeltas(false)
    for (const m of this.peers) {
      const link = m.outbound
      if (link === null || !link.open) continue
      if (m.snapshotOut !== null) this.pumpSnapshot(m, link)
      if (!link.sentSinceMark) this.sendOn(m, link, HEARTBEAT_FRAME, 1)
      link.sentSinceMark = false
    }
  }

  /** Takes the delta of every channel (or, when onlyFull, of those with batchSize pending) and sends them in one write per peer. */
  private pushDeltas(onlyFull: boolean): void {
    const ts = this.config.now()
    let bodies: Uint8Array[] | undefined
    for (const [name, channel] of this.config.channels) {
      let parts: Uint8Array[]
      try {
        if (onlyFull && channel.pendingSize() < this.config.batchSize) continue
        const delta = channel.takeDelta()
        if (delta === undefined) continue
        parts = partsOf(delta, 'takeDelta')
      } catch (err) {
        this.config.logger.error({ channel: name, err: errorMessage(err) }, 'channel takeDelta threw')
        continue
      }
      for (const p of parts) {
        if (p.byteLength > this.config.maxFrameBytes - MAX_ENVELOPE_OVERHEAD_BYTES) {
          this.oversized(name, p.byteLength, 'delta part (peers recover it at their next reconnection)')
          continue
        }
        try {
          ;(bodies ??= []).push(encodeEnvelope({ t: FrameType.Delta, ts, c: name, p }, this.config.maxFrameBytes, `delta of channel ${name}`))
        } catch (err) {
          this.counters.oversizedOutbound++
          this.config.logger.error({ channel: name, err: errorMessage(err) }, 'delta part dropped (peers recover it at their next reconnection)')
        }
      }
    }
    if (bodies === undefined) return
    const bytes = joinFrames(bodies)
    for (const m of this.peers) {
      const link = m.outbound
      if (link !== null && link.open) this.sendOn(m, link, bytes, bodies.length)
    }
  }

  private sendOn(m: MemberRecord, link: PeerLink, bytes: Uint8Array, frames: number): boolean {
    if (!link.send(bytes)) return false
    m.bytesOut += bytes.byteLength
    m.framesOut += frames
    this.counters.bytesOut += bytes.byteLength
    this.counters.framesOut += frames
    return true
  }

  // ---- inbound ----------------------------------------------------------------------------------------------

  private onInboundStream(stream: Stream, connection: Connection): void {
    try {
      if (this.status !== 'running') {
        stream.abort(new GossipStoppedError('inbound stream'))
        return
      }
      this.counters.inboundStreams++
      const link = new PeerLink({
        direction: 'inbound',
        stream,
        connection,
        maxFrameBytes: this.config.maxFrameBytes,
        maxWriteBufferBytes: this.maxWriteBufferBytes,
        now: this.config.now,
        sink: this.sink,
      })
      if (!link.open) return
      this.helloTimers.set(
        link,
        setTimeout(() => this.rejectPeer(link, `no hello within ${HELLO_TIMEOUT_MS} ms`, undefined), HELLO_TIMEOUT_MS),
      )
    } catch (err) {
      this.config.logger.error({ err: errorMessage(err) }, 'inbound gossip stream setup failed')
      stream.abort(err as Error)
    }
  }

  private memberOf(link: PeerLink): MemberRecord | undefined {
    const m = this.byPeerId.get(link.remotePeerId)
    if (m === undefined) return undefined
    return (link.direction === 'inbound' ? m.inbound : m.outbound) === link ? m : undefined
  }

  private onFrame(link: PeerLink, envelope: Envelope, bytes: number): void {
    const now = this.config.now()
    this.counters.bytesIn += bytes
    this.counters.framesIn++
    if (link.direction === 'inbound' && this.helloTimers.has(link)) {
      if (envelope.t !== FrameType.Hello) throw new GossipMalformedFrameError(`first frame is type ${envelope.t}, not a hello`)
      this.acceptHello(link, envelope, now, bytes)
      return
    }
    const m = this.memberOf(link)
    if (m === undefined) return // a replaced or closing stream: ignore what is still in flight
    m.bytesIn += bytes
    m.framesIn++
    m.lastHeardAt = now
    if (link.direction === 'outbound') {
      if (envelope.t !== FrameType.Response) throw new GossipMalformedFrameError(`frame type ${envelope.t} on our own stream; only responses come back`)
      this.onResponse(link, envelope)
      this.heard(link.remotePeerId, now)
      this.updateState(m, now)
      return
    }
    switch (envelope.t) {
      case FrameType.Delta: {
        this.channelOf(envelope.c).applyDelta(link.remotePeerId, envelope.p, now)
        m.lag.record(now - envelope.ts)
        break
      }
      case FrameType.Snapshot:
        this.onSnapshotPart(m, link, envelope, now)
        break
      case FrameType.Heartbeat:
        break
      case FrameType.Request:
        this.onRequest(m, link, envelope)
        break
      default:
        throw new GossipMalformedFrameError(`frame type ${envelope.t} is not expected on a member's stream`)
    }
    this.heard(link.remotePeerId, now)
    this.updateState(m, now)
  }

  /** Applies one part of a member's snapshot (unless empty); parts of a channel must come in order from 0. */
  private onSnapshotPart(m: MemberRecord, link: PeerLink, envelope: SnapshotFrame, now: number): void {
    const channel = this.channelOf(envelope.c)
    const index = envelope.i ?? 0
    const expected = m.snapshotsIn.get(envelope.c) ?? 0
    if (index !== expected) throw new GossipMalformedFrameError(`snapshot of channel ${envelope.c}: part ${index}, expected part ${expected}`)
    if (envelope.p.byteLength > 0) channel.applySnapshot(link.remotePeerId, envelope.p, now)
    if (envelope.more === true) {
      m.snapshotsIn.set(envelope.c, index + 1)
      return
    }
    if (index > 0) m.snapshotsIn.delete(envelope.c)
    m.pendingSnapshots.delete(envelope.c)
    if (!m.synced && m.pendingSnapshots.size === 0) this.onSynced(m)
  }

  /** Reports a valid frame of a member to onHeard. */
  private heard(peerId: string, now: number): void {
    const onHeard = this.config.onHeard
    if (onHeard === undefined) return
    try {
      onHeard(peerId, now)
    } catch (err) {
      this.config.logger.error({ peerId, err: errorMessage(err) }, 'onHeard threw')
    }
  }

  private channelOf(name: string): ReplicatedChannel {
    const channel = this.config.channels.get(name)
    if (channel === undefined) throw new GossipMalformedFrameError(`unknown channel ${JSON.stringify(name)}`)
    return channel
  }

  private acceptHello(link: PeerLink, hello: HelloFrame, now: number, bytes: number): void {
    const body = hello.p
    const remote = link.remotePeerId
    if (body.cluster !== this.config.cluster) return this.rejectPeer(link, `cluster ${JSON.stringify(body.cluster)} is not ${JSON.stringify(this.config.cluster)}`, body.name)
    if (body.version !== PROTOCOL_VERSION) return this.rejectPeer(link, `protocol version ${body.version} is not ${PROTOCOL_VERSION}`, body.name)
    const m = this.byName.get(body.name)
    if (m === undefined) return this.rejectPeer(link, `${JSON.stringify(body.name)} is not a member`, body.name)
    if (body.peerId !== remote) return this.rejectPeer(link, `hello peerId ${body.peerId} is not the connection's authenticated peer id`, body.name)
    if (m.config.peerId !== null && m.config.peerId !== remote) {
      return this.rejectPeer(link, `member ${m.name} is configured with peer id ${m.config.peerId}`, body.name)
    }
    const holder = this.byPeerId.get(remote)
    if (holder !== undefined && holder !== m && holder.config.peerId === remote) {
      return this.rejectPeer(link, `peer id belongs to member ${holder.name}`, body.name)
    }
    const unknown = body.channels.filter((c) => !this.config.channels.has(c))
    if (unknown.length > 0) return this.rejectPeer(link, `announces channels this node does not have: ${unknown.join(', ')}`, body.name)
    clearTimeout(this.helloTimers.get(link))
    this.helloTimers.delete(link)
    if (holder !== undefined && holder !== m) {
      // A learned (unconfigured) binding that now names someone else: forget it.
      holder.peerId = null
    }
    this.bindPeerId(m, remote)
    const previous = m.inbound
    m.inbound = link
    if (previous !== null) previous.abort(new Error('replaced by a newer stream'))
    m.bytesIn += bytes
    m.framesIn++
    m.lastHeardAt = now
    m.synced = false
    m.pendingSnapshots = new Set(body.channels)
    m.snapshotsIn.clear()
    this.updateConnectedSince(m)
    this.config.logger.debug({ member: m.name, peerId: remote }, 'gossip hello accepted')
    this.heard(remote, now)
    if (m.pendingSnapshots.size === 0) this.onSynced(m)
    // It is reachable again: if our own stream to it is down, dial now rather than at the end of the backoff.
    if (m.outbound === null) m.wake?.()
    this.updateState(m, now)
  }

  private onSynced(m: MemberRecord): void {
    m.synced = true
    m.syncedOnce = true
    this.checkReady()
  }

  private rejectPeer(link: PeerLink, reason: string, claimedName: string | undefined): void {
    this.counters.rejectedPeers++
    clearTimeout(this.helloTimers.get(link))
    this.helloTimers.delete(link)
    const err = new GossipPeerRejectedError(reason)
    this.config.logger.warn({ peerId: link.remotePeerId, name: claimedName, reason }, 'gossip peer refused; closing its connection')
    link.abort(err)
    link.connection.abort(err)
  }

  private onMalformed(link: PeerLink, err: Error): void {
    this.counters.malformedFrames++
    const m = this.memberOf(link)
    this.config.logger.warn(
      { member: m?.name, peerId: link.remotePeerId, direction: link.direction, err: err.message },
      'malformed gossip frame; closing the stream',
    )
  }

  private onSlow(link: PeerLink, err: GossipSlowPeerError): void {
    this.counters.slowPeerAborts++
    this.config.logger.warn({ member: this.memberOf(link)?.name, peerId: link.remotePeerId, err: err.message }, 'slow gossip peer')
  }

  private onLinkClosed(link: PeerLink): void {
    const timer = this.helloTimers.get(link)
    if (timer !== undefined) {
      clearTimeout(timer)
      this.helloTimers.delete(link)
      return
    }
    const m = this.byPeerId.get(link.remotePeerId)
    if (m === undefined) return
    if (link.direction === 'inbound' && m.inbound === link) {
      m.inbound = null
      m.synced = false
      m.pendingSnapshots.clear()
      m.snapshotsIn.clear()
    } else if (link.direction === 'outbound' && m.outbound === link) {
      m.outbound = null
      m.snapshotOut = null
      for (const [id, request] of this.pending) {
        if (request.link !== link) continue
        clearTimeout(request.timer)
        this.pending.delete(id)
        request.reject(new GossipPeerUnavailableError(request.member, 'its gossip stream closed before the response'))
      }
    } else {
      return
    }
    this.updateConnectedSince(m)
    if (this.status === 'running') this.updateState(m, this.config.now())
  }

  // ---- request/response -------------------------------------------------------------------------------------

  private onRequest(m: MemberRecord, link: PeerLink, request: RequestFrame): void {
    if (m.inboundRequests >= MAX_INBOUND_REQUESTS_PER_PEER) {
      this.respondError(m, link, request, `${MAX_INBOUND_REQUESTS_PER_PEER} requests from this member are already in progress`, REMOTE_CODE_BUSY)
      return
    }
    const handler = this.handlers.get(request.m)
    if (handler === undefined) {
      this.respondError(m, link, request, `no handler for ${request.m}`, REMOTE_CODE_NO_HANDLER)
      return
    }
    m.inboundRequests++
    Promise.resolve()
      .then(() => handler(link.remotePeerId, request.p))
      .then(
        (result) => this.respond(m, link, { t: FrameType.Response, ts: this.config.now(), id: request.id, ok: true, p: result }, request),
        (err: unknown) => this.respondError(m, link, request, errorMessage(err), errorCode(err)),
      )
      .catch((err: unknown) => this.config.logger.error({ method: request.m, err: errorMessage(err) }, 'gossip response failed'))
      .finally(() => {
        m.inboundRequests--
      })
  }

  private respondError(m: MemberRecord, link: PeerLink, request: RequestFrame, message: string, code: string | undefined): void {
    const e = code === undefined ? { message: message.slice(0, 1024) } : { message: message.slice(0, 1024), code: code.slice(0, 1024) }
    this.respond(m, link, { t: FrameType.Response, ts: this.config.now(), id: request.id, ok: false, e }, request)
  }

  private respond(m: MemberRecord, link: PeerLink, response: ResponseFrame, request: RequestFrame): void {
    if (!link.open) {
      this.config.logger.debug({ member: m.name, method: request.m }, 'response dropped: the requester stream closed')
      return
    }
    let bytes: Uint8Array
    try {
      bytes = frame(response, this.config.maxFrameBytes, `response to ${request.m}`)
    } catch (err) {
      if (!response.ok) throw err
      const code = err instanceof GossipFrameTooLargeError ? err.code : undefined
      this.respondError(m, link, request, errorMessage(err), code)
      return
    }
    this.sendOn(m, link, bytes, 1)
  }

  private onResponse(link: PeerLink, response: ResponseFrame): void {
    const request = this.pending.get(response.id)
    if (request === undefined || request.link !== link) {
      this.config.logger.debug({ id: response.id }, 'response to no pending request (timed out?)')
      return
    }
    clearTimeout(request.timer)
    this.pending.delete(response.id)
    if (response.ok) request.resolve(response.p)
    else request.reject(new GossipRemoteError(request.member, request.method, response.e?.message ?? 'unknown error', response.e?.code))
  }
}

/** A channel's delta as a list of parts; throws when it is neither bytes nor a list of bytes. */
function partsOf(value: Uint8Array | Uint8Array[], what: string): Uint8Array[] {
  if (value instanceof Uint8Array) return [value]
  if (!Array.isArray(value)) throw new GossipArgumentError(`${what} returned neither a Uint8Array nor an array of them`)
  for (const part of value) {
    if (!(part instanceof Uint8Array)) throw new GossipArgumentError(`${what} returned an array holding something other than a Uint8Array`)
  }
  return value
}

/** A channel's snapshot as an iterator of parts (each part is checked as it is pulled). */
function snapshotParts(value: Uint8Array | Iterable<Uint8Array>): Iterator<Uint8Array> {
  if (value instanceof Uint8Array) return [value][Symbol.iterator]()
  if (value === null || typeof value !== 'object' || typeof (value as Iterable<Uint8Array>)[Symbol.iterator] !== 'function') {
    throw new GossipArgumentError('snapshot returned neither a Uint8Array nor an iterable of them')
  }
  return value[Symbol.iterator]()
}

function checkMethod(method: string): void {
  if (typeof method !== 'string' || method.length === 0 || method.length > MAX_METHOD_NAME_LENGTH) {
    throw new GossipArgumentError(`method: ${JSON.stringify(method)} is not a name of 1–${MAX_METHOD_NAME_LENGTH} characters`)
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}
