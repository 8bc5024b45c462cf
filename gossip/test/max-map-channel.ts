// A small ReplicatedChannel for the tests: a map of key → number merged by maximum (a grow-only register per
// key), encoded with msgpackr. Its decoder validates what it is given, like a real channel's would, and a key can
// be poisoned so that the next delta containing it throws once (a channel rejecting a frame). Given partEntries, it
// splits deltas into parts of at most that many entries, and encodes snapshots lazily (a generator) in such parts
// (an empty snapshot is then no part at all); a snapshot can be made to fail after some parts.

import { pack, unpack } from 'msgpackr'
import type { ReplicatedChannel } from '../index.js'

export class MaxMapChannel implements ReplicatedChannel {
  readonly values = new Map<string, number>()
  /** Peer ids we applied a delta or snapshot from (to prove an outsider reached no channel). */
  readonly appliedFrom = new Set<string>()
  /** Delta and snapshot frames applied (parts count one each). */
  deltasApplied = 0
  snapshotsApplied = 0
  /** Called after each frame is applied (tests act at a given moment of an exchange). */
  onApply: ((kind: 'delta' | 'snapshot', fromPeerId: string) => void) | null = null
  private readonly pending = new Set<string>()
  private poisoned: string | null = null

  /** When set, snapshot iterators throw after yielding this many parts. */
  failSnapshotAfterParts: number | null = null

  constructor(private readonly partEntries?: number) {}

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

  takeDelta(): Uint8Array | Uint8Array[] | undefined {
    if (this.pending.size === 0) return undefined
    const entries: Array<[string, number]> = []
    for (const key of this.pending) entries.push([key, this.values.get(key) as number])
    this.pending.clear()
    return this.encode(entries)
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
    this.onApply?.('delta', fromPeerId)
  }

  snapshot(): Uint8Array | Iterable<Uint8Array> {
    const entries = [...this.values]
    if (this.partEntries === undefined) return pack(entries)
    return lazyParts(entries, this.partEntries, this.failSnapshotAfterParts)
  }

  applySnapshot(fromPeerId: string, payload: Uint8Array): void {
    this.merge(decode(payload))
    this.appliedFrom.add(fromPeerId)
    this.snapshotsApplied++
    this.onApply?.('snapshot', fromPeerId)
  }

  private encode(entries: Array<[string, number]>): Uint8Array | Uint8Array[] {
    if (this.partEntries === undefined) return pack(entries)
    const parts: Uint8Array[] = []
    for (let start = 0; start < entries.length; start += this.partEntries) parts.push(pack(entries.slice(start, start + this.partEntries)))
    return parts
  }

  private merge(entries: Array<[string, number]>): void {
    for (const [key, value] of entries) {
      if ((this.values.get(key) ?? -Infinity) < value) this.values.set(key, value)
    }
  }
}

function* lazyParts(entries: Array<[string, number]>, partEntries: number, failAfter: number | null): Generator<Uint8Array> {
  let parts = 0
  for (let start = 0; start < entries.length; start += partEntries) {
    if (parts++ === failAfter) throw new Error('snapshot encoding failed')
    yield pack(entries.slice(start, start + partEntries))
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
