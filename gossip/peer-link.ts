// One gossip stream to or from a member, framed.
//
// Each node opens its own long-lived stream to every member ('outbound') and writes on it everything it
// originates: hello, snapshots, deltas, heartbeats and requests; the member answers requests on that same stream.
// What the member originates arrives on the stream it opened to us ('inbound'). Two streams per pair means no
// tie-break when both sides dial at once, and each side's redial loop owns exactly one stream.
//
// Inbound bytes go through a LengthPrefixedDecoder that rejects an oversized frame from its length prefix alone,
// before buffering its body. Chunks are fed to it in slices of at most maxFrameBytes: a stream's chunk is as large
// as its flow-control window (up to 16 MiB with Yamux), and the decoder refuses any chunk that would take its
// buffer past maxBufferSize, whatever the frames in it. Any failure while reading (oversized, undecodable, or the frame sink throwing)
// aborts this stream only, is reported once through onMalformed, and never escapes the event handler.

import { LengthPrefixedDecoder } from '@libp2p/utils'
import type { Connection, Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import { CLOSE_TIMEOUT_MS } from './constants.js'
import { GossipMalformedFrameError, GossipSlowPeerError } from './errors.js'
import { decodeEnvelope, readLengthPrefix, varintLength, type Envelope } from './frame-codec.js'

export interface PeerLinkSink {
  /** One decoded frame of `bytes` bytes (prefix included). Throwing marks it malformed: the link is aborted. */
  onFrame(link: PeerLink, envelope: Envelope, bytes: number): void
  /** The link was aborted because of what the peer sent (err says what); onClose follows. */
  onMalformed(link: PeerLink, err: Error): void
  /** The peer stopped reading and its write buffer overflowed; onClose follows. */
  onSlow(link: PeerLink, err: GossipSlowPeerError): void
  /** Called exactly once, whatever closed the link. */
  onClose(link: PeerLink): void
}

export type LinkDirection = 'inbound' | 'outbound'

export interface PeerLinkInit {
  direction: LinkDirection
  stream: Stream
  connection: Connection
  maxFrameBytes: number
  maxWriteBufferBytes: number
  now: () => number
  sink: PeerLinkSink
}

export class PeerLink {
  readonly direction: LinkDirection
  readonly stream: Stream
  readonly connection: Connection
  /** The authenticated (Noise) peer id at the other end. */
  readonly remotePeerId: string
  readonly openedAt: number
  /** Wall ms of the last write, for heartbeats. */
  lastSentAt: number
  /** Set by every successful send(); the owner clears it to learn whether anything was written since. */
  sentSinceMark = false
  /**
   * Called (if set) whenever the stream's write buffer has just emptied, possibly from inside send(): the moment to
   * write more of something paced, like a snapshot in parts. Must not throw.
   */
  onWritable: (() => void) | null = null
  /** Resolves once the link is closed, however that happened. */
  readonly closed: Promise<void>
  private isClosed = false
  private resolveClosed!: () => void
  private readonly decoder: LengthPrefixedDecoder
  private readonly maxFrameBytes: number
  private readonly maxWriteBufferBytes: number
  private readonly sink: PeerLinkSink
  private readonly now: () => number

  constructor(init: PeerLinkInit) {
    this.direction = init.direction
    this.stream = init.stream
    this.connection = init.connection
    this.remotePeerId = init.connection.remotePeer.toString()
    this.now = init.now
    this.openedAt = init.now()
    this.lastSentAt = this.openedAt
    this.sink = init.sink
    this.maxFrameBytes = init.maxFrameBytes
    this.maxWriteBufferBytes = init.maxWriteBufferBytes
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve
    })
    // maxBufferSize is checked against the whole buffer after each chunk is appended: twice the frame limit lets a
    // maximal frame arrive split across chunks next to other frames without a false rejection.
    this.decoder = new LengthPrefixedDecoder({
      maxDataLength: init.maxFrameBytes,
      maxBufferSize: 2 * init.maxFrameBytes + 65_536,
      lengthDecoder: readLengthPrefix,
      encodingLength: varintLength,
    })
    this.stream.addEventListener('message', (event) => this.onData(event.data))
    this.stream.addEventListener('idle', () => {
      if (!this.isClosed) this.onWritable?.()
    })
    this.stream.addEventListener('close', () => this.finish())
    // The other side closed its writable end (it is leaving): close ours so the stream ends now, not at a timeout.
    this.stream.addEventListener('remoteCloseWrite', () => void this.close())
    if (this.stream.status !== 'open') queueMicrotask(() => this.finish())
  }

  get open(): boolean {
    return !this.isClosed
  }

  /**
   * Queues already-framed bytes. Returns false when the link is closed or has just been reset because the peer
   * stopped reading (more than maxWriteBufferBytes queued); the frames are then dropped, which anti-entropy on the
   * next connection repairs.
   */
  send(bytes: Uint8Array): boolean {
    if (this.isClosed) return false
    if (this.stream.writeBufferLength + bytes.byteLength > this.maxWriteBufferBytes) {
      const err = new GossipSlowPeerError(
        `${this.stream.writeBufferLength} bytes already queued for ${this.remotePeerId}; resetting its stream`,
      )
      this.sink.onSlow(this, err)
      this.abort(err)
      return false
    }
    try {
      this.stream.send(bytes)
    } catch (err) {
      this.abort(err as Error)
      return false
    }
    this.lastSentAt = this.now()
    this.sentSinceMark = true
    return true
  }

  /** Resets the stream at once (queued frames are dropped). */
  abort(err: Error): void {
    if (this.isClosed) return
    try {
      this.stream.abort(err)
    } catch {
      // the stream was already gone; finish() below still runs
    }
    this.finish()
  }

  /** Closes gracefully: queued frames are flushed for up to CLOSE_TIMEOUT_MS, then the stream is reset. */
  async close(): Promise<void> {
    if (this.isClosed) return
    try {
      await this.stream.close({ signal: AbortSignal.timeout(CLOSE_TIMEOUT_MS) })
    } catch (err) {
      this.abort(err as Error)
    }
    this.finish()
  }

  private onData(data: Uint8Array | Uint8ArrayList): void {
    if (this.isClosed) return
    try {
      const length = data.byteLength
      if (length <= this.maxFrameBytes) {
        this.decodeChunk(data)
      } else {
        for (let start = 0; start < length && !this.isClosed; start += this.maxFrameBytes) {
          const end = Math.min(length, start + this.maxFrameBytes)
          this.decodeChunk(data instanceof Uint8Array ? data.subarray(start, end) : data.sublist(start, end))
        }
      }
    } catch (err) {
      if (this.isClosed) return
      const reason =
        err instanceof GossipMalformedFrameError ? err : new GossipMalformedFrameError((err as Error).message, { cause: err })
      this.sink.onMalformed(this, reason)
      this.abort(reason)
    }
  }

  private decodeChunk(chunk: Uint8Array | Uint8ArrayList): void {
    for (const body of this.decoder.decode(chunk)) {
      const bytes = body.subarray()
      // msgpackr decodes strings fastest from a Buffer; this is a view, not a copy.
      const envelope = decodeEnvelope(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
      this.sink.onFrame(this, envelope, varintLength(bytes.byteLength) + bytes.byteLength)
      if (this.isClosed) return
    }
  }

  private finish(): void {
    if (this.isClosed) return
    this.isClosed = true
    try {
      this.sink.onClose(this)
    } finally {
      this.resolveClosed()
    }
  }
}
