// A last-writer-wins map (the replicated rule set): every key holds the value with the greatest HLC stamp seen for
// it, or a tombstone (value null) when the greatest stamp is a delete. Merging keeps the greater stamp per key, so
// replicas converge whatever order entries arrive in, and a stale write can never resurrect a deleted key.
// Tombstones are kept (rule sets are small; dropping one safely would need every node to have seen it).
import { compareHlc, type Hlc } from './hlc.js'
import { plainDataEqual } from './json-value.js'

export type LwwEntry<V> = { key: string; value: V | null /* null = tombstone */; stamp: Hlc }

interface Slot<V> {
  value: V | null
  stamp: Hlc
}

export class LwwMap<V> {
  private readonly slots = new Map<string, Slot<V>>()
  private readonly changed = new Set<string>()

  /** Writes `value` under `key` if `stamp` is newer than what the key holds; false when an equal/newer stamp holds. */
  set(key: string, value: V, stamp: Hlc): boolean {
    return this.apply(key, value, stamp) !== NOT_APPLIED
  }

  /** Writes a tombstone under `key` if `stamp` is newer than what the key holds; false otherwise. */
  delete(key: string, stamp: Hlc): boolean {
    return this.apply(key, null, stamp) !== NOT_APPLIED
  }

  get(key: string): V | undefined {
    const slot = this.slots.get(key)
    return slot === undefined || slot.value === null ? undefined : slot.value
  }

  /** Live entries only (no tombstones). */
  values(): Array<{ key: string; value: V; stamp: Hlc }> {
    const out: Array<{ key: string; value: V; stamp: Hlc }> = []
    for (const [key, slot] of this.slots) if (slot.value !== null) out.push({ key, value: slot.value, stamp: slot.stamp })
    return out
  }

  /** Applies remote entries (last writer wins per key). Returns the keys whose visible value changed. */
  merge(entries: LwwEntry<V>[]): string[] {
    const visible: string[] = []
    for (const e of entries) {
      if (this.apply(e.key, e.value, e.stamp) === APPLIED_VISIBLE) visible.push(e.key)
    }
    return visible
  }

  /** Entries changed locally or by merge since the last takeDelta (to pass on to peers). */
  takeDelta(): LwwEntry<V>[] {
    const out: LwwEntry<V>[] = []
    for (const key of this.changed) {
      const slot = this.slots.get(key)!
      out.push({ key, value: slot.value, stamp: slot.stamp })
    }
    this.changed.clear()
    return out
  }

  /** Every entry, tombstones included (anti-entropy). */
  snapshot(): LwwEntry<V>[] {
    const out: LwwEntry<V>[] = []
    for (const [key, slot] of this.slots) out.push({ key, value: slot.value, stamp: slot.stamp })
    return out
  }

  private apply(key: string, value: V | null, stamp: Hlc): number {
    const old = this.slots.get(key)
    if (old !== undefined && compareHlc(old.stamp, stamp) >= 0) return NOT_APPLIED
    this.slots.set(key, { value, stamp: { wall: stamp.wall, counter: stamp.counter, node: stamp.node } })
    this.changed.add(key)
    const before = old === undefined ? null : old.value
    if (before === null && value === null) return APPLIED_HIDDEN
    if (before !== null && value !== null && plainDataEqual(before, value)) return APPLIED_HIDDEN
    return APPLIED_VISIBLE
  }
}

const NOT_APPLIED = 0
const APPLIED_HIDDEN = 1
const APPLIED_VISIBLE = 2
