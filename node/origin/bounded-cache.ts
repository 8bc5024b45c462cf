// A size-capped map for generated responses: ids come from clients, so the cache must not grow without
// bound. Eviction is first-in-first-out (Map keeps insertion order), which is enough for load tests that
// cycle through a fixed URL list, and costs nothing on a hit.

export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>()
  readonly maxEntries: number

  constructor(maxEntries: number) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`)
    this.maxEntries = maxEntries
  }

  get size(): number {
    return this.entries.size
  }

  get(key: K): V | undefined {
    return this.entries.get(key)
  }

  set(key: K, value: V): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
      const oldest = this.entries.keys().next()
      if (oldest.done !== true) this.entries.delete(oldest.value)
    }
    this.entries.set(key, value)
  }
}
