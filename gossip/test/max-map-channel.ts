// A small ReplicatedChannel for the tests: a map of key → number merged by maximum (a grow-only register per
// key), encoded with msgpackr. Its decoder validates what it is given, like a real channel's would, and a key can
// be poisoned so that the next delta containing it throws once (a channel rejecting a frame).

import { pack, unpack } from 'msgpackr'
import type { ReplicatedChannel } from '../index.js'

export class MaxMapChannel implements ReplicatedChannel {
  readonly values = new Map<string, number>()
  /** Peer ids we applied a delta or snapshot from (to prove an outsider reached no channel). */
  readonly appliedFrom = new Set<string>()
  deltasApplied = 0
  snapshotsApplied = 0
  private readonly pending = new Set<string>()
  private poisoned: string | null = null

  set(key: string, value: number): void {
    if ((this.values.get(key) ?? -Infinity) >= value) return
    this.values.set(key, value)
    this.pending.add(key)
  }

  get(key: string): number | undefined {
    return this.values.get(key)
  }

  /** The next applyDelta whose entries contain key throws (once). */
  poison(key: string): void {
    this.poisoned = key
  }

  takeDelta(): Uint8Array | undefined {
    if (this.pending.size === 0) return undefined
    const entries: Array<[string, number]> = []
    for (const key of this.pending) entries.push([key, this.values.get(key) as number])
    this.pending.clear()
    return pack(entries)
  }

  pendingSize(): number {
    return this.pending.size
  }

  applyDelta(fromPeerId: string, payload: Uint8Array): void {
    const entries = decode(payload)
    if (this.poisoned !== null && entries.some(([key]) => key === this.poisoned)) {
      this.poisoned = null
      throw new Error('poisoned key in delta')
    }
    this.merge(entries)
    this.appliedFrom.add(fromPeerId)
    this.deltasApplied++
  }

  snapshot(): Uint8Array {
    return pack([...this.values])
  }

  applySnapshot(fromPeerId: string, payload: Uint8Array): void {
    this.merge(decode(payload))
    this.appliedFrom.add(fromPeerId)
    this.snapshotsApplied++
  }

  private merge(entries: Array<[string, number]>): void {
    for (const [key, value] of entries) {
      if ((this.values.get(key) ?? -Infinity) < value) this.values.set(key, value)
    }
  }
}

function decode(payload: Uint8Array): Array<[string, number]> {
  const value: unknown = unpack(payload)
  if (!Array.isArray(value)) throw new Error('max-map payload is not a list')
  for (const entry of value) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') {
      throw new Error('max-map entry is not [string, number]')
    }
  }
  return value as Array<[string, number]>
}
