// Gossip frames on the wire: an unsigned-varint length prefix, then a msgpack map (the envelope)
//
//   varint(n) | msgpack { t: type, ts: sender wall ms, c?: channel, p?: payload, id?: request id, m?: method, ... }
//
// Channel payloads (deltas, snapshots) travel as msgpack `bin`, opaque to this layer. A channel snapshot may take
// several frames: parts i = 0, 1, 2, ... in order, each but the last marked `more: true` (a snapshot frame with
// neither is a whole snapshot). An empty payload is never applied: it ends a snapshot that had nothing (more) to
// send. A heartbeat is only { t } (5 bytes with its prefix): it carries nothing but the fact that the sender is
// alive. Everything decoded here comes from the network: decodeEnvelope accepts only the exact shape of each frame
// type and throws GossipMalformedFrameError for anything else; the caller closes the stream. Size limits are
// enforced before decoding, from the length prefix alone (see readLengthPrefix and PeerLink).

import { Packr, Unpackr } from 'msgpackr'
import type { Uint8ArrayList } from 'uint8arraylist'
import {
  FrameType,
  MAX_CHANNEL_NAME_LENGTH,
  MAX_SNAPSHOT_PARTS,
  MAX_CHANNELS,
  MAX_CLUSTER_NAME_LENGTH,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_LENGTH_PREFIX_BYTES,
  MAX_MEMBER_NAME_LENGTH,
  MAX_METHOD_NAME_LENGTH,
  MAX_PEER_ID_LENGTH,
} from './constants.js'
import { GossipFrameTooLargeError, GossipMalformedFrameError } from './errors.js'

export interface HelloBody {
  name: string
  peerId: string
  cluster: string
  version: number
  /** The channels this sender will send a snapshot of, in order, right after the hello. */
  channels: string[]
}

export interface HelloFrame { t: typeof FrameType.Hello; ts: number; p: HelloBody }
export interface DeltaFrame { t: typeof FrameType.Delta; ts: number; c: string; p: Uint8Array }
export interface SnapshotFrame {
  t: typeof FrameType.Snapshot
  ts: number
  c: string
  p: Uint8Array
  /** Part index from 0 (absent: 0). */
  i?: number
  /** More parts of this snapshot follow (absent: this is the last part). */
  more?: true
}
/** No timestamp: liveness is judged on the receiver's clock, and an idle link carries one of these per tick. */
export interface HeartbeatFrame { t: typeof FrameType.Heartbeat; ts?: number }
export interface RequestFrame { t: typeof FrameType.Request; ts: number; id: number; m: string; p: unknown }
export interface ResponseFrame {
  t: typeof FrameType.Response
  ts: number
  id: number
  ok: boolean
  /** The handler's result when ok. */
  p?: unknown
  /** What went wrong when not ok. */
  e?: { message: string; code?: string }
}
export type Envelope = HelloFrame | DeltaFrame | SnapshotFrame | HeartbeatFrame | RequestFrame | ResponseFrame

// Records (msgpackr's extension that shares object shapes between messages) are off: every frame must decode on
// its own, whatever the peer sent before.
const packr = new Packr({ useRecords: false, moreTypes: false })
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, moreTypes: false })

/** Encodes one envelope without its length prefix. Throws GossipFrameTooLargeError above maxFrameBytes. */
export function encodeEnvelope(envelope: Envelope, maxFrameBytes: number, what: string): Uint8Array {
  const body = packr.pack(envelope)
  if (body.byteLength > maxFrameBytes) throw new GossipFrameTooLargeError(what, body.byteLength, maxFrameBytes)
  return body
}

/** Length of the unsigned varint encoding of n. */
export function varintLength(n: number): number {
  let length = 1
  while (n >= 0x80) {
    n = Math.floor(n / 0x80)
    length++
  }
  return length
}

function writeVarint(n: number, target: Uint8Array, offset: number): number {
  while (n >= 0x80) {
    target[offset++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 0x80)
  }
  target[offset++] = n
  return offset
}

/**
 * Concatenates encoded envelopes into one buffer of length-prefixed frames, so a whole tick's frames for a peer
 * go out in a single stream write.
 */
export function joinFrames(bodies: readonly Uint8Array[]): Uint8Array {
  let total = 0
  for (const body of bodies) total += varintLength(body.byteLength) + body.byteLength
  const out = new Uint8Array(total)
  let offset = 0
  for (const body of bodies) {
    offset = writeVarint(body.byteLength, out, offset)
    out.set(body, offset)
    offset += body.byteLength
  }
  return out
}

/** One length-prefixed frame. */
export function frame(envelope: Envelope, maxFrameBytes: number, what: string): Uint8Array {
  return joinFrames([encodeEnvelope(envelope, maxFrameBytes, what)])
}

/**
 * The heartbeat frame, prefix included: length 4, then msgpack { t: 4 } as a fixmap (msgpackr would write a 3-byte
 * map16 header). Built once: it is written on every idle tick to every peer.
 */
export const HEARTBEAT_FRAME: Uint8Array = Uint8Array.of(4, 0x81, 0xa1, 0x74, FrameType.Heartbeat)

/**
 * Reads the varint length prefix at the start of data (LengthPrefixedDecoder's `lengthDecoder`). Throws a
 * RangeError while the prefix is incomplete (the decoder waits for more bytes), and GossipMalformedFrameError for
 * a prefix longer than MAX_LENGTH_PREFIX_BYTES, so an endless run of continuation bytes fails at once instead of
 * being buffered.
 */
export function readLengthPrefix(data: Uint8ArrayList | Uint8Array): number {
  let value = 0
  let scale = 1
  const available = Math.min(data.byteLength, MAX_LENGTH_PREFIX_BYTES)
  for (let i = 0; i < available; i++) {
    const byte = 'get' in data ? data.get(i) : (data[i] as number)
    value += (byte & 0x7f) * scale
    if (byte < 0x80) return value
    scale *= 0x80
  }
  if (data.byteLength >= MAX_LENGTH_PREFIX_BYTES) {
    throw new GossipMalformedFrameError(`length prefix longer than ${MAX_LENGTH_PREFIX_BYTES} bytes`)
  }
  throw new RangeError('incomplete length prefix')
}

/** Validates and returns the envelope in body. Throws GossipMalformedFrameError for anything but a well-formed frame. */
export function decodeEnvelope(body: Uint8Array): Envelope {
  let value: unknown
  try {
    value = unpackr.unpack(body)
  } catch (err) {
    throw new GossipMalformedFrameError(`undecodable msgpack: ${(err as Error).message}`)
  }
  if (!isPlainObject(value)) throw new GossipMalformedFrameError('envelope is not a map')
  const { t, ts } = value
  if (t === FrameType.Heartbeat && ts === undefined) return { t }
  if (typeof ts !== 'number' || !Number.isFinite(ts)) throw new GossipMalformedFrameError('envelope ts is not a number')
  switch (t) {
    case FrameType.Hello:
      return { t, ts, p: checkHello(value.p) }
    case FrameType.Delta: {
      const c = checkString(value.c, MAX_CHANNEL_NAME_LENGTH, 'channel')
      if (!(value.p instanceof Uint8Array)) throw new GossipMalformedFrameError('payload is not binary')
      return { t, ts, c, p: value.p }
    }
    case FrameType.Snapshot: {
      const c = checkString(value.c, MAX_CHANNEL_NAME_LENGTH, 'channel')
      if (!(value.p instanceof Uint8Array)) throw new GossipMalformedFrameError('payload is not binary')
      const { i, more } = value
      if (i === undefined && more === undefined) return { t, ts, c, p: value.p }
      const index = i ?? 0
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= MAX_SNAPSHOT_PARTS) {
        throw new GossipMalformedFrameError(`snapshot part index is not an integer from 0 to ${MAX_SNAPSHOT_PARTS - 1}`)
      }
      if (more === undefined) return { t, ts, c, p: value.p, i: index }
      if (more !== true) throw new GossipMalformedFrameError('snapshot "more" is neither true nor absent')
      return { t, ts, c, p: value.p, i: index, more }
    }
    case FrameType.Heartbeat:
      return { t, ts }
    case FrameType.Request:
      return { t, ts, id: checkId(value.id), m: checkString(value.m, MAX_METHOD_NAME_LENGTH, 'method'), p: value.p }
    case FrameType.Response: {
      const id = checkId(value.id)
      if (value.ok === true) return { t, ts, id, ok: true, p: value.p }
      if (value.ok !== false || !isPlainObject(value.e)) throw new GossipMalformedFrameError('response has neither ok nor error')
      const message = checkString(value.e.message, MAX_ERROR_MESSAGE_LENGTH, 'error message', true)
      const code = value.e.code === undefined ? undefined : checkString(value.e.code, MAX_ERROR_MESSAGE_LENGTH, 'error code')
      return { t, ts, id, ok: false, e: code === undefined ? { message } : { message, code } }
    }
    default:
      throw new GossipMalformedFrameError(`unknown frame type ${JSON.stringify(t)}`)
  }
}

function checkHello(value: unknown): HelloBody {
  if (!isPlainObject(value)) throw new GossipMalformedFrameError('hello body is not a map')
  const name = checkString(value.name, MAX_MEMBER_NAME_LENGTH, 'hello name')
  const peerId = checkString(value.peerId, MAX_PEER_ID_LENGTH, 'hello peerId')
  const cluster = checkString(value.cluster, MAX_CLUSTER_NAME_LENGTH, 'hello cluster')
  const { version, channels } = value
  if (typeof version !== 'number' || !Number.isInteger(version)) throw new GossipMalformedFrameError('hello version is not an integer')
  if (!Array.isArray(channels) || channels.length > MAX_CHANNELS) {
    throw new GossipMalformedFrameError(`hello channels is not a list of at most ${MAX_CHANNELS} names`)
  }
  for (const channel of channels) checkString(channel, MAX_CHANNEL_NAME_LENGTH, 'hello channel')
  return { name, peerId, cluster, version, channels: channels as string[] }
}

function checkString(value: unknown, maxLength: number, what: string, allowEmpty = false): string {
  if (typeof value !== 'string' || value.length > maxLength || (!allowEmpty && value.length === 0)) {
    throw new GossipMalformedFrameError(`${what} is not a string of ${allowEmpty ? 0 : 1}–${maxLength} characters`)
  }
  return value
}

function checkId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new GossipMalformedFrameError('request id is not a non-negative integer')
  }
  return value
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}
