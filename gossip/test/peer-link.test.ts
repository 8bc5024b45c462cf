// PeerLink on a fake stream: a chunk far larger than the decoder's buffer limit (a stream delivers whatever its
// flow-control window let through, up to 16 MiB with Yamux) is decoded frame by frame instead of being refused,
// while one oversized frame is still refused from its prefix; an emptied write buffer is reported through onWritable.
import type { Connection, Stream } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import { FrameType } from '../constants.js'
import { frame, HEARTBEAT_FRAME, joinFrames, type Envelope } from '../frame-codec.js'
import { PeerLink, type PeerLinkSink } from '../peer-link.js'

class FakeStream extends EventTarget {
  status = 'open'
  writeBufferLength = 0
  readonly sent: Uint8Array[] = []
  send(bytes: Uint8Array): boolean {
    this.sent.push(bytes)
    return true
  }
  abort(): void {
    this.status = 'aborted'
    this.dispatchEvent(new Event('close'))
  }
  async close(): Promise<void> {
    this.abort()
  }
  deliver(data: Uint8Array): void {
    this.dispatchEvent(Object.assign(new Event('message'), { data }))
  }
}

function link(maxFrameBytes: number): { stream: FakeStream; link: PeerLink; frames: Envelope[]; malformed: Error[] } {
  const stream = new FakeStream()
  const frames: Envelope[] = []
  const malformed: Error[] = []
  const sink: PeerLinkSink = {
    onFrame: (_link, envelope) => void frames.push(envelope),
    onMalformed: (_link, err) => void malformed.push(err),
    onSlow: () => undefined,
    onClose: () => undefined,
  }
  const connection = { remotePeer: { toString: () => 'peer' } } as unknown as Connection
  const peerLink = new PeerLink({
    direction: 'inbound',
    stream: stream as unknown as Stream,
    connection,
    maxFrameBytes,
    maxWriteBufferBytes: 1024 * 1024,
    now: Date.now,
    sink,
  })
  return { stream, link: peerLink, frames, malformed }
}

describe('peer link', () => {
  it('decodes a 1 MiB chunk of small frames with a 1 KiB frame limit', () => {
    const { stream, link: l, frames, malformed } = link(1024)
    const delta = frame({ t: FrameType.Delta, ts: 1, c: 'kv', p: new Uint8Array(900).fill(3) }, 1024, 'delta')
    const parts: Uint8Array[] = []
    let bytes = 0
    while (bytes < 1024 * 1024) {
      parts.push(HEARTBEAT_FRAME, delta)
      bytes += HEARTBEAT_FRAME.byteLength + delta.byteLength
    }
    let chunk = new Uint8Array(bytes)
    let offset = 0
    for (const p of parts) {
      chunk.set(p, offset)
      offset += p.byteLength
    }
    stream.deliver(chunk)
    expect(malformed).toEqual([])
    expect(l.open).toBe(true)
    expect(frames).toHaveLength(parts.length)
    expect(frames.filter((f) => f.t === FrameType.Delta)).toHaveLength(parts.length / 2)

    // a frame over the limit is still refused, from its prefix
    chunk = joinFrames([new Uint8Array(2000)])
    stream.deliver(chunk.subarray(0, 4))
    expect(malformed).toHaveLength(1)
    expect(l.open).toBe(false)
  })

  it('calls onWritable when the stream reports its write buffer emptied, not after the link closed', () => {
    const { stream, link: l } = link(1024)
    let calls = 0
    l.onWritable = () => calls++
    stream.dispatchEvent(new Event('idle'))
    expect(calls).toBe(1)
    expect(l.send(HEARTBEAT_FRAME)).toBe(true)
    expect(l.sentSinceMark).toBe(true)
    l.abort(new Error('done'))
    stream.dispatchEvent(new Event('idle'))
    expect(calls).toBe(1)
  })
})
