// The anti-entropy snapshot on its way to one peer: the parts of every channel, taken when our stream to it opened,
// handed out one at a time. The host writes the next part only while the stream's write buffer is nearly empty
// (SNAPSHOT_LOW_WATER_BYTES), on the stream's 'idle' event and on every gossip tick, so tens of MB leave at the pace
// the peer reads them and the deltas written meanwhile go out between parts instead of behind all of them.
//
// Parts are numbered per channel, 0..n-1, in the order the channel returned them; a channel with nothing to send
// yields one part with n = 0, so the peer still learns that this channel's snapshot is complete.

export interface SnapshotPart {
  channel: string
  payload: Uint8Array
  index: number
  /** Parts of this channel's snapshot (0: nothing to send; payload is empty). */
  count: number
}

const EMPTY = new Uint8Array(0)

export class OutboundSnapshot {
  /** Sender wall ms when the snapshot was taken (the `ts` of its frames). */
  readonly ts: number
  /** Set while the host is writing parts, so an 'idle' event raised by its own write does not re-enter. */
  pumping = false
  private readonly channels: Array<{ name: string; parts: Uint8Array[] }>
  private channelIndex = 0
  private partIndex = 0

  constructor(ts: number, channels: Array<{ name: string; parts: Uint8Array[] }>) {
    this.ts = ts
    this.channels = channels
  }

  /** The next part to write, or undefined when every part was handed out. Drops its reference to the part. */
  next(): SnapshotPart | undefined {
    const channel = this.channels[this.channelIndex]
    if (channel === undefined) return undefined
    const count = channel.parts.length
    if (count === 0) {
      this.channelIndex++
      return { channel: channel.name, payload: EMPTY, index: 0, count: 0 }
    }
    const index = this.partIndex
    const payload = channel.parts[index] as Uint8Array
    // Let each part be collected once written rather than when the whole snapshot is.
    channel.parts[index] = EMPTY
    if (index + 1 < count) {
      this.partIndex++
    } else {
      this.channelIndex++
      this.partIndex = 0
    }
    return { channel: channel.name, payload, index, count }
  }
}
