// Every default and fixed limit of the gossip layer, in one place.

/** The libp2p protocol id of the gossip stream. The version segment changes with PROTOCOL_VERSION. */
export const GOSSIP_PROTOCOL = '/meliproxy/gossip/2.0.0'
/**
 * Sent in every hello; a peer speaking another version is refused. 2: snapshots in parts (`i`/`n` in the envelope)
 * and heartbeats without a timestamp, which version 1 refuses as malformed.
 */
export const PROTOCOL_VERSION = 2

export const DEFAULT_CLUSTER_NAME = 'meliproxy'
export const DEFAULT_INTERVAL_MS = 20
export const DEFAULT_BATCH_SIZE = 2000
export const DEFAULT_SUSPECT_AFTER_MS = 1000
export const DEFAULT_SYNC_TIMEOUT_MS = 3000
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024

/** Frame types on the wire (the `t` field of the envelope). Small integers keep every frame short. */
export const FrameType = {
  Hello: 1,
  Delta: 2,
  Snapshot: 3,
  Heartbeat: 4,
  Request: 5,
  Response: 6,
} as const
export type FrameType = (typeof FrameType)[keyof typeof FrameType]

export const MAX_CHANNEL_NAME_LENGTH = 32
export const MAX_CHANNELS = 64
export const MAX_MEMBER_NAME_LENGTH = 64
/** Long enough for any peer id string (Ed25519 ids are 52 characters, RSA ids up to ~60). */
export const MAX_PEER_ID_LENGTH = 128
export const MAX_CLUSTER_NAME_LENGTH = 64
export const MAX_METHOD_NAME_LENGTH = 64
export const MAX_ERROR_MESSAGE_LENGTH = 1024
/** Most parts in one channel snapshot: a part index at or above this is refused. */
export const MAX_SNAPSHOT_PARTS = 1_000_000
/**
 * The most bytes an envelope adds around a channel payload (delta or snapshot part): map header, keys, type,
 * timestamp, channel name (32 characters of up to 3 UTF-8 bytes), bin header, part index and count. A payload of at
 * most maxFrameBytes minus this always fits in a frame.
 */
export const MAX_ENVELOPE_OVERHEAD_BYTES = 160
/**
 * The next part of a snapshot being sent is written only while less than this is queued on the peer's stream, so
 * the snapshot leaves as fast as the peer takes it, and a delta written meanwhile waits behind one part plus what the
 * stream's flow-control window holds, not behind the whole snapshot.
 */
export const SNAPSHOT_LOW_WATER_BYTES = 64 * 1024
/**
 * Snapshot parts are pulled from their channels (which may encode them lazily) for at most this long per turn of
 * the event loop; the rest waits for the next turn, so sending a large snapshot never holds the loop for long.
 */
export const SNAPSHOT_SLICE_MS = 10

/** Requests from one peer being handled at once; more are answered with MELIPROXY_ERR_GOSSIP_BUSY. */
export const MAX_INBOUND_REQUESTS_PER_PEER = 64
/** The longest length prefix accepted: 5 varint bytes encode up to 2^35 − 1, far above any frame limit. */
export const MAX_LENGTH_PREFIX_BYTES = 5

/** An inbound gossip stream that has not said hello within this time is closed. */
export const HELLO_TIMEOUT_MS = 5000
/** One dial attempt (TCP connect, pnet, Noise, Yamux, protocol select) gives up after this. */
export const DIAL_TIMEOUT_MS = 5000
/** Redial backoff: first wait, and the cap it doubles up to (each wait is jittered). */
export const REDIAL_MIN_MS = 100
export const REDIAL_MAX_MS = 2000
/** A link that lived at least this long was healthy: the next redial starts from REDIAL_MIN_MS again. */
export const LINK_STABLE_AFTER_MS = 2000
/** A graceful close of a link waits this long for queued frames to leave. */
export const CLOSE_TIMEOUT_MS = 500

/**
 * libp2p connection monitor: one ping per connection every second. A ping unanswered for suspectAfterMs (the
 * timeout adapts between 1× and 2× that) aborts the connection, so a stopped peer's connection is cut ~2–3 s into
 * the stop and redials start afresh; a shorter timeout would also cut healthy connections during a brief stall.
 */
export const PING_INTERVAL_MS = 1000
/**
 * Ping streams one connection may have open each way. The monitor starts a ping every PING_INTERVAL_MS whether or
 * not the previous one was answered, and @libp2p/ping allows 1 outbound and 2 inbound by default: a peer busy for
 * just over a second (e.g. encoding a large snapshot) got its connection aborted for "too many streams" instead of
 * by the timeout. Room for every ping that can be pending within 2 × suspectAfterMs, plus a margin, capped here.
 */
export const MAX_PING_STREAMS = 64

/** Outbound bytes queued on one peer's stream beyond max(this, 4 × maxFrameBytes) → the peer is too slow: reset it. */
export const MIN_PEER_WRITE_BUFFER_BYTES = 16 * 1024 * 1024
/** Streams of our protocol per connection (one each way, plus room for a replacement racing a close). */
export const MAX_STREAMS_PER_CONNECTION = 4

/** Delta propagation latency samples kept per member for lagMs (p50/p99 over the most recent ones). */
export const LAG_SAMPLES = 1024

/** Files in dataDir. */
export const PEER_KEY_FILE = 'gossip-peer-key'
export const MEMBERS_FILE = 'gossip-members.json'

/** Salt of the HKDF that turns the cluster secret into the pnet swarm key; changing it splits old and new nodes. */
export const SWARM_KEY_SALT = 'meliproxy/pnet/v1'
