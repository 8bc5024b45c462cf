// The gossip layer of a meliproxy node: a libp2p host that keeps a full mesh with the cluster's members, pushes
// deltas of replicated state on one long-lived stream per peer, exchanges full state on every (re)connection (in
// parts, paced by the peer's reading), detects failures and carries request/response between nodes. It knows
// nothing of counters or rules: it carries the opaque, already-encoded payloads of the channels it is given.
import './promise-with-resolvers.js'
import { GossipHost } from './gossip-host.js'
import { validateGossipInit } from './gossip-config.js'
import { loadAddedMembers } from './member-store.js'
import { loadOrCreatePrivateKey } from './peer-key.js'

/**
 * One replicated data type the gossip layer carries, as opaque encoded payloads. Deltas and snapshots may be split
 * into parts: each part travels as its own frame and is applied on its own, so each must decode alone, and each must
 * be at most maxFrameBytes − MAX_ENVELOPE_OVERHEAD_BYTES bytes (a larger delta part is dropped, a larger snapshot
 * part is sent empty; either is logged and counted in oversizedOutbound).
 */
export interface ReplicatedChannel {
  /**
   * Called on the gossip timer (every intervalMs) and when pendingSize() >= batchSize; returns the encoded delta to
   * push to every connected peer (one payload, or its parts in order), or undefined when nothing changed. Never
   * called concurrently (nor concurrently with any other method here: the gossip layer calls channels from one
   * thread, one call at a time). A delta taken while a peer is disconnected is not resent to it: the snapshot it gets
   * on reconnection covers it. The parts of one delta go out at once, in one write per peer together with the other
   * channels' deltas, so keep a delta well under MIN_PEER_WRITE_BUFFER_BYTES (batchSize bounds it).
   */
  takeDelta(): Uint8Array | Uint8Array[] | undefined
  /** Entries changed since the last takeDelta. Polled every max(1, intervalMs/4) ms: keep it O(1). */
  pendingSize(): number
  /**
   * Called for each delta frame (each part) received from a member. Throwing (e.g. the channel's decoder's
   * CodecError) means the frame is malformed: the gossip layer logs it and closes that peer's stream (it will be
   * reopened); never crashes.
   */
  applyDelta(fromPeerId: string, payload: Uint8Array, now: number): void
  /**
   * Full state for anti-entropy, taken once per new stream of ours, right after its hello: one payload, or its parts
   * in order (an array, or any iterable; an empty one when there is nothing to send). Parts are pulled one at a time
   * as the peer reads them, for at most SNAPSHOT_SLICE_MS per turn of the event loop, between the deltas of the
   * following ticks (which the peer also gets). So a lazy iterable (a generator encoding one part per step) spreads
   * its work out, and a snapshot of tens of MB neither holds the event loop nor the deltas back. What it iterates must
   * be the state as of this call (or newer): parts are pulled later, while the state keeps changing. Pulling never
   * interleaves with another call into this channel. A throw here or from the iterator: logged, and peers do not
   * count this channel synced from this stream.
   */
  snapshot(now: number): Uint8Array | Iterable<Uint8Array>
  /**
   * Applies one part of a member's full state, in the order sent, as it arrives; never called with an empty part.
   * The member counts as synced for this channel once its last part arrived. Throwing is handled like applyDelta
   * throwing.
   */
  applySnapshot(fromPeerId: string, payload: Uint8Array, now: number): void
}

export interface GossipMember {
  name: string
  /** "host:port" of its gossip listener ("[v6]:port" for IPv6). */
  p2p: string
  /** When every member has one, only these peer ids may connect (connection gater allow-list). */
  peerId?: string
}

export interface GossipLogger {
  info(o: object, msg?: string): void
  warn(o: object, msg?: string): void
  error(o: object, msg?: string): void
  debug(o: object, msg?: string): void
}

export interface GossipInit {
  /** This node (its name and listen address). */
  self: GossipMember
  /** Every member including self, from cluster.yml. */
  members: GossipMember[]
  /** The key pair lives here: created once (atomic, mode 0600), reused. Members added at run time are kept here too. */
  dataDir: string
  /** Cluster secret → libp2p private network key (pnet swarm key derived from it). */
  secret?: string
  /** Cluster name, checked in every hello (default "meliproxy"). */
  cluster?: string
  /** Delta push period (cluster.yml gossip.intervalMs, default 20). */
  intervalMs: number
  /** Push early when a channel has this many pending entries (default 2000). */
  batchSize?: number
  /**
   * Silence → suspect, 2× → down (default 1000). A peer we sent nothing to during a gossip tick gets a heartbeat
   * (5 bytes) at the end of it, so every live member is heard from about every intervalMs (and at least every
   * suspectAfterMs/4 when intervalMs is longer).
   */
  suspectAfterMs: number
  /** Max wait for initial anti-entropy before declaring ready anyway (default 3000). */
  syncTimeoutMs: number
  /** Inbound and outbound frame limit (default 4 MiB). Every member must use the same value. */
  maxFrameBytes: number
  /** e.g. { counters, rules }; channel names ≤ 32 chars. */
  channels: Record<string, ReplicatedChannel>
  logger: GossipLogger
  /** Wall clock, default Date.now (tests inject). */
  now?: () => number
  /**
   * Called with the member's peer id and the receive time for every valid frame from a member (its accepted hello,
   * deltas, each snapshot part, heartbeats, requests and responses), after the frame was applied; not for a frame
   * that was refused as malformed, nor for anything from a non-member. It runs for every frame: keep it O(1). It must
   * not throw (a throw is logged and otherwise ignored).
   */
  onHeard?: (peerId: string, now: number) => void
}

export type MemberState = 'self' | 'connecting' | 'syncing' | 'up' | 'suspect' | 'down'

export interface MemberView {
  name: string
  peerId: string | null
  address: string
  state: MemberState
  /** Wall ms of the last frame from it. */
  lastHeardAt: number | null
  /** Delta propagation latency from it (sender timestamp → applied here), over its last LAG_SAMPLES deltas. */
  lagMs: { p50: number; p99: number } | null
  /** Since when a gossip stream with it (either direction) has been open without interruption. */
  connectedSince: number | null
  /** Totals on its gossip streams since start (frame bytes, length prefixes included; not TCP/Noise/Yamux overhead). */
  bytesIn: number
  bytesOut: number
  framesIn: number
  framesOut: number
}

export interface GossipStats {
  bytesIn: number
  bytesOut: number
  framesIn: number
  framesOut: number
  /** Inbound frames that closed their stream: oversized, undecodable, unknown type or channel, or rejected by a channel. */
  malformedFrames: number
  /** Outbound streams re-established after one to the same member had closed. */
  reconnects: number
  /** Hellos refused (not a member, contradicting peer id, other cluster or protocol version, no hello in time). */
  rejectedPeers: number
  /** Streams reset because the peer stopped reading and its write buffer overflowed. */
  slowPeerAborts: number
  /**
   * Outbound delta parts dropped, or snapshot parts sent empty, because they were over maxFrameBytes −
   * MAX_ENVELOPE_OVERHEAD_BYTES.
   */
  oversizedOutbound: number
  /** Inbound gossip streams handed to us by libp2p (authenticated by pnet and the gater, before any hello check). */
  inboundStreams: number
}

export type RequestHandler = (fromPeerId: string, body: unknown) => Promise<unknown>

export interface Gossip {
  readonly peerId: string
  /** Listens, dials members. Rejects with GossipListenError if the port is taken. A Gossip starts once. */
  start(): Promise<void>
  /** Pushes pending deltas, closes streams, stops libp2p. Pending requests and whenReady() reject with GossipStoppedError. */
  stop(): Promise<void>
  /**
   * Synced with every reachable member (the last part of each of its channels' snapshots applied), or syncTimeoutMs
   * passed. Never goes back to false.
   */
  readonly ready: boolean
  whenReady(): Promise<void>
  /** Self first, then members in config order (members added at run time last). */
  members(): MemberView[]
  /** Push pending deltas now (used on shutdown and by tests). */
  flush(): void
  /** Registers the handler of a method (1–64 characters); a second registration replaces the first. */
  handle(method: string, handler: RequestHandler): void
  /**
   * Calls method on a member (by name or peer id; self runs the local handler). Rejects with GossipTimeoutError,
   * GossipRemoteError (the handler threw; remoteCode carries its code), GossipPeerUnavailableError (no open stream,
   * or it closed meanwhile), GossipUnknownMemberError, or GossipFrameTooLargeError (body over maxFrameBytes).
   */
  request(peer: string, method: string, body: unknown, timeoutMs: number): Promise<unknown>
  /** State changes (connecting/syncing/up/suspect/down). Listeners must not throw (it is logged if they do). */
  on(event: 'member', listener: (m: MemberView) => void): void
  /** Run-time join: dials it and remembers it (persisted in dataDir). Rejects with GossipConfigError when invalid. */
  addMember(m: GossipMember): Promise<void>
  stats(): GossipStats
}

/** Creates the gossip host (not started): validates init, loads or creates the key pair in dataDir. */
export async function createGossip(init: GossipInit): Promise<Gossip> {
  const config = validateGossipInit(init)
  const privateKey = await loadOrCreatePrivateKey(config.dataDir)
  const added = await loadAddedMembers(config.dataDir)
  return GossipHost.create(config, privateKey, added)
}

export { loadOrCreatePeerId } from './peer-key.js'
export * from './errors.js'
export * from './constants.js'
