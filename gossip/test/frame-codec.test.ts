// The wire format: every frame type round-trips, and everything a peer could send that is not exactly a frame is
// refused with GossipMalformedFrameError (the caller then closes the stream).
import { LengthPrefixedDecoder } from '@libp2p/utils'
import { pack } from 'msgpackr'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { FrameType, MAX_CHANNEL_NAME_LENGTH, MAX_ENVELOPE_OVERHEAD_BYTES, MAX_SNAPSHOT_PARTS } from '../constants.js'
import {
  decodeEnvelope,
  encodeEnvelope,
  frame,
  HEARTBEAT_FRAME,
  joinFrames,
  readLengthPrefix,
  varintLength,
  type Envelope,
} from '../frame-codec.js'

const MAX = 1024 * 1024
const roundTrip = (e: Envelope): Envelope => decodeEnvelope(encodeEnvelope(e, MAX, 'test'))
const malformed = (value: unknown) => expect(() => decodeEnvelope(pack(value))).toThrow(expect.objectContaining({ code: 'MELIPROXY_ERR_GOSSIP_MALFORMED_FRAME' }))

describe('frame codec', () => {
  it('round-trips every frame type', () => {
    const frames: Envelope[] = [
      { t: FrameType.Hello, ts: 1, p: { name: 'a', peerId: '12D3KooW', cluster: 'c', version: 1, channels: ['counters', 'rules'] } },
      { t: FrameType.Delta, ts: 2, c: 'counters', p: new Uint8Array([1, 2, 3]) },
      { t: FrameType.Snapshot, ts: 3, c: 'rules', p: new Uint8Array(0) },
      { t: FrameType.Snapshot, ts: 3, c: 'counters', p: new Uint8Array([4, 5]), i: 2, more: true },
      { t: FrameType.Snapshot, ts: 3, c: 'counters', p: new Uint8Array(0), i: 3 },
      { t: FrameType.Heartbeat, ts: 4 },
      { t: FrameType.Heartbeat },
      { t: FrameType.Request, ts: 5, id: 9, m: 'stats', p: { from: 1, to: [2, 3] } },
      { t: FrameType.Response, ts: 6, id: 9, ok: true, p: 'fine' },
      { t: FrameType.Response, ts: 7, id: 10, ok: false, e: { message: 'no', code: 'X' } },
    ]
    // binary payloads come back as Buffers (views of the frame): compare their bytes
    const bytesOf = (e: Envelope): unknown => ('p' in e && e.p instanceof Uint8Array ? { ...e, p: [...e.p] } : e)
    for (const f of frames) expect(bytesOf(roundTrip(f))).toEqual(bytesOf(f))
  })

  it('refuses envelopes of the wrong shape', () => {
    malformed([1, 2, 3])
    malformed('hello')
    malformed(null)
    malformed({ t: FrameType.Delta, c: 'kv', p: new Uint8Array(1) }) // no ts: only a heartbeat may omit it
    malformed({ t: FrameType.Heartbeat, ts: 'now' })
    malformed({ t: 99, ts: 1 })
    malformed({ t: FrameType.Delta, ts: 1, c: 'kv', p: 'not binary' })
    malformed({ t: FrameType.Delta, ts: 1, c: 'x'.repeat(MAX_CHANNEL_NAME_LENGTH + 1), p: new Uint8Array(1) })
    malformed({ t: FrameType.Delta, ts: 1, c: '', p: new Uint8Array(1) })
    // snapshot parts: a bounded integer index, and "more" only as true
    const part = (extra: object) => ({ t: FrameType.Snapshot, ts: 1, c: 'kv', p: new Uint8Array(1), ...extra })
    malformed(part({ i: -1 }))
    malformed(part({ i: 0.5, more: true }))
    malformed(part({ i: '0' }))
    malformed(part({ i: MAX_SNAPSHOT_PARTS }))
    malformed(part({ i: 1, more: false }))
    malformed(part({ i: 1, more: 1 }))
    expect(decodeEnvelope(pack(part({ i: MAX_SNAPSHOT_PARTS - 1, more: true })))).toMatchObject({ i: MAX_SNAPSHOT_PARTS - 1, more: true })
    expect(decodeEnvelope(pack(part({ more: true })))).toMatchObject({ i: 0, more: true })
    malformed({ t: FrameType.Hello, ts: 1, p: { name: 'a', peerId: 'p', cluster: 'c', version: '1', channels: [] } })
    malformed({ t: FrameType.Hello, ts: 1, p: { name: 'a', peerId: 'p', cluster: 'c', version: 1, channels: [7] } })
    malformed({ t: FrameType.Hello, ts: 1, p: { name: 'a', peerId: 'p', cluster: 'c', version: 1, channels: Array(65).fill('x') } })
    malformed({ t: FrameType.Request, ts: 1, id: -1, m: 'x', p: null })
    malformed({ t: FrameType.Request, ts: 1, id: 1, m: 'm'.repeat(65), p: null })
    malformed({ t: FrameType.Response, ts: 1, id: 1 })
    malformed({ t: FrameType.Response, ts: 1, id: 1, ok: false, e: 'nope' })
    expect(() => decodeEnvelope(new Uint8Array([0xc1]))).toThrow(expect.objectContaining({ code: 'MELIPROXY_ERR_GOSSIP_MALFORMED_FRAME' }))
    expect(() => decodeEnvelope(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]))).toThrow(expect.objectContaining({ code: 'MELIPROXY_ERR_GOSSIP_MALFORMED_FRAME' }))
    expect(() => decodeEnvelope(Buffer.alloc(100_000, 0x91))).toThrow(expect.objectContaining({ code: 'MELIPROXY_ERR_GOSSIP_MALFORMED_FRAME' }))
  })

  it(`an envelope adds at most MAX_ENVELOPE_OVERHEAD_BYTES (${MAX_ENVELOPE_OVERHEAD_BYTES}) around a payload, and a heartbeat is 5 bytes`, () => {
    const longestChannel = '€'.repeat(MAX_CHANNEL_NAME_LENGTH) // 3 UTF-8 bytes each
    let worst = 0
    for (const size of [0, 255, 256, 65_535, 65_536, 1_000_000]) {
      const p = new Uint8Array(size)
      for (const ts of [Date.now(), -Number.MAX_SAFE_INTEGER, 1.5e300, Number.MAX_VALUE]) {
        const envelopes: Envelope[] = [
          { t: FrameType.Delta, ts, c: longestChannel, p },
          { t: FrameType.Snapshot, ts, c: longestChannel, p, i: MAX_SNAPSHOT_PARTS - 1, more: true },
        ]
        for (const e of envelopes) worst = Math.max(worst, encodeEnvelope(e, 64 * 1024 * 1024, 'test').byteLength - size)
      }
    }
    expect(worst).toBeLessThanOrEqual(MAX_ENVELOPE_OVERHEAD_BYTES)
    expect(HEARTBEAT_FRAME.byteLength).toBe(5)
    expect(decodeEnvelope(HEARTBEAT_FRAME.subarray(1))).toEqual({ t: FrameType.Heartbeat })
  })

  it('refuses to encode a frame over the limit', () => {
    expect(() => encodeEnvelope({ t: FrameType.Delta, ts: 1, c: 'kv', p: new Uint8Array(2000) }, 1024, 'delta of kv')).toThrow(
      expect.objectContaining({ code: 'MELIPROXY_ERR_GOSSIP_FRAME_TOO_LARGE', maxFrameBytes: 1024 }),
    )
  })

  it('length prefixes: varints up to 5 bytes, longer ones refused, short ones awaited', () => {
    for (const n of [0, 1, 127, 128, 300, 16_383, 16_384, 4 * 1024 * 1024, 2 ** 31, 2 ** 35 - 1]) {
      const prefix = new Uint8Array(varintLength(n))
      let v = n
      for (let i = 0; i < prefix.length; i++) {
        prefix[i] = (v % 128) | (i < prefix.length - 1 ? 0x80 : 0)
        v = Math.floor(v / 128)
      }
      expect(readLengthPrefix(prefix)).toBe(n)
      expect(readLengthPrefix(new Uint8ArrayList(prefix))).toBe(n)
    }
    expect(() => readLengthPrefix(new Uint8Array([0x80, 0x80]))).toThrow(RangeError)
    expect(() => readLengthPrefix(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(expect.objectContaining({ code: 'MELIPROXY_ERR_GOSSIP_MALFORMED_FRAME' }))
  })

  it('frames batched in one buffer decode one by one, split anywhere; an oversized prefix is refused before its body', () => {
    const bodies = [
      encodeEnvelope({ t: FrameType.Heartbeat, ts: 1 }, MAX, 'hb'),
      encodeEnvelope({ t: FrameType.Delta, ts: 2, c: 'kv', p: new Uint8Array(300).fill(7) }, MAX, 'delta'),
      encodeEnvelope({ t: FrameType.Heartbeat, ts: 3 }, MAX, 'hb'),
    ]
    const wire = joinFrames(bodies)
    for (const split of [1, 2, 5, 150, wire.length - 1]) {
      const decoder = new LengthPrefixedDecoder({ maxDataLength: 1024, lengthDecoder: readLengthPrefix, encodingLength: varintLength })
      const out = [...decoder.decode(wire.subarray(0, split)), ...decoder.decode(wire.subarray(split))]
      expect(out.map((b) => decodeEnvelope(b.subarray()).ts)).toEqual([1, 2, 3])
    }
    const decoder = new LengthPrefixedDecoder({ maxDataLength: 1024, lengthDecoder: readLengthPrefix, encodingLength: varintLength })
    const oversized = frame({ t: FrameType.Delta, ts: 1, c: 'kv', p: new Uint8Array(2000) }, MAX, 'big').subarray(0, 3)
    expect(() => [...decoder.decode(oversized)]).toThrow()
  })
})
