// The anti-entropy snapshot on its way to one peer: the parts of every channel, pulled from each channel's iterable
// one at a time, as the host writes them. The host pulls the next part only while the stream's write buffer is nearly
// empty (SNAPSHOT_LOW_WATER_BYTES) and for at most SNAPSHOT_SLICE_MS per turn of the event loop, so a channel that
// encodes its parts lazily spreads that work out, tens of MB leave at the pace the peer reads them, and the deltas
// written meanwhile go out between parts instead of behind all of them.
//
// Parts are numbered per channel from 0; each says whether more follow, so one part is pulled ahead to know it. A
// channel with nothing to send yields one empty part (the peer learns its snapshot is complete and applies nothing);
// a part too large for a frame is sent empty too (logged by the host), which keeps the numbering whole.

export interface SnapshotPart {
  channel: string
  /** Empty when the channel had nothing to send, or when the part was too large for a frame. */
  payload: Uint8Array
  index: number
  /** No more parts of this channel follow. */
  last: boolean
}

export interface SnapshotSource {
  name: string
  parts: Iterator<Uint8Array>
}

export interface OutboundSnapshotHooks {
  /** Largest payload that fits in a frame. */
  maxPayloadBytes: number
  /** A part over maxPayloadBytes was replaced by an empty one. */
  onOversized(channel: string, bytes: number): void
  /**
   * The channel's iterator threw: that channel's snapshot ends here, without a last part (the peer never counts it
   * complete on this stream, as if the channel had not been sent).
   */
  onError(channel: string, err: unknown): void
}

const EMPTY = new Uint8Array(0)

export class OutboundSnapshot {
  /** Sender wall ms when the snapshot was taken (the `ts` of its frames). */
  readonly ts: number
  /** Set while the host is writing parts, so an 'idle' event raised by its own write does not re-enter. */
  pumping = false
  /** A continuation is scheduled (setImmediate) after a turn's time slice ran out. */
  scheduled = false
  private readonly sources: SnapshotSource[]
  private readonly hooks: OutboundSnapshotHooks
  private sourceIndex = 0
  private partIndex = 0
  /** The part after the one to hand out next, pulled to learn whether that one is the last. */
  private ahead: Uint8Array | undefined
  private started = false

  constructor(ts: number, sources: SnapshotSource[], hooks: OutboundSnapshotHooks) {
    this.ts = ts
    this.sources = sources
    this.hooks = hooks
  }

  /** The next part to write, or undefined when every channel's snapshot was handed out. */
  next(): SnapshotPart | undefined {
    for (;;) {
      const source = this.sources[this.sourceIndex]
      if (source === undefined) return undefined
      if (!this.started) {
        this.started = true
        const first = this.pull(source)
        if (first === null) continue
        // Nothing at all: one empty last part.
        if (first === undefined) return this.finish(source, EMPTY)
        this.ahead = first
      }
      const current = this.ahead as Uint8Array
      const following = this.pull(source)
      if (following === null) continue
      if (following === undefined) return this.finish(source, current)
      this.ahead = following
      return this.part(source, current, false)
    }
  }

  private finish(source: SnapshotSource, payload: Uint8Array): SnapshotPart {
    const part = this.part(source, payload, true)
    this.sourceIndex++
    this.partIndex = 0
    this.ahead = undefined
    this.started = false
    return part
  }

  private part(source: SnapshotSource, payload: Uint8Array, last: boolean): SnapshotPart {
    let sent = payload
    if (payload.byteLength > this.hooks.maxPayloadBytes) {
      this.hooks.onOversized(source.name, payload.byteLength)
      sent = EMPTY
    }
    return { channel: source.name, payload: sent, index: this.partIndex++, last }
  }

  /** The source's next part; undefined when it is exhausted; null when it threw (the source is then skipped). */
  private pull(source: SnapshotSource): Uint8Array | undefined | null {
    try {
      const step = source.parts.next()
      if (step.done === true) return undefined
      if (!(step.value instanceof Uint8Array)) throw new TypeError('snapshot part is not a Uint8Array')
      return step.value
    } catch (err) {
      this.hooks.onError(source.name, err)
      this.sourceIndex++
      this.partIndex = 0
      this.ahead = undefined
      this.started = false
      return null
    }
  }
}
