// A grow-only counter: node id -> count. The value is the sum of the slots, merge is the per-slot maximum, and a
// node only ever raises its own slot, so merges are commutative, associative and idempotent: deltas may be lost,
// duplicated or reordered and every replica still converges.
import { CounterArgumentError } from './errors.js'

export class GCounter {
  private readonly slots = new Map<string, number>()
  private sum = 0

  /** Sum of all slots, kept up to date on every change (O(1)). */
  get value(): number {
    return this.sum
  }

  /** The slot of `node`, 0 when it has none. */
  get(node: string): number {
    return this.slots.get(node) ?? 0
  }

  /** Adds `n` (a finite number >= 0) to the slot of `self` and returns the new slot value. */
  increment(self: string, n = 1): number {
    if (!(n >= 0) || n === Infinity) throw new CounterArgumentError(`increment: ${n} is not a finite number >= 0`)
    const next = (this.slots.get(self) ?? 0) + n
    if (n > 0) {
      this.slots.set(self, next)
      this.sum += n
    }
    return next
  }

  /**
   * Raises the slot of `node` to `value` if that is higher (per-slot max). Returns true when the slot changed.
   * Values that are not finite numbers >= 0 never raise a slot.
   */
  raise(node: string, value: number): boolean {
    if (!(value >= 0) || value === Infinity) return false
    const old = this.slots.get(node) ?? 0
    if (value <= old) return false
    this.slots.set(node, value)
    this.sum += value - old
    return true
  }

  /** Raises every slot to `other`'s where that is higher. Returns true when anything changed. */
  merge(other: GCounter): boolean {
    let changed = false
    for (const [node, value] of other.slots) if (this.raise(node, value)) changed = true
    return changed
  }

  /** Every non-zero slot as [node, value]. */
  entries(): IterableIterator<[string, number]> {
    return this.slots.entries()
  }
}
