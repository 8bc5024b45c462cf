// Space-Saving heavy hitters (Metwally, Agrawal, El Abbadi 2005) over (rule, key) pairs, bounded to `capacity`.
//
// Monitored pairs sit in a binary min-heap on count; a two-level Map (rule → key → entry) finds a pair without
// building a composite string per call. An unmonitored pair evicts the heap's minimum and inherits its count + 1,
// remembering that count as its `error` (the overestimate bound). Guarantees: any pair seen more than N/capacity
// times is monitored; every monitored count c satisfies true ≤ c ≤ true + error. An increment only moves an entry
// towards the leaves, and heavy pairs settle there, so the usual update is a lookup and a compare: O(log capacity)
// at worst, and capacity is fixed. Evicted entries are reused, so a flood of distinct keys allocates nothing once
// the summary is full.

/** One heavy hitter: count is an upper bound of the true count, count - error a lower bound. */
export interface TopLimitedEntry {
  rule: string
  key: string
  count: number
  error: number
}

/** Keys and rule ids longer than this are cut (keys can carry client-chosen paths). */
export const MAX_TOP_KEY_CHARS = 256

class Entry {
  constructor(
    public rule: string,
    public key: string,
    public count: number,
    public error: number,
    public pos: number,
  ) {}
}

export class SpaceSaving {
  private readonly heap: Entry[] = []
  private readonly byRule = new Map<string, Map<string, Entry>>()

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.heap.length
  }

  offer(rule: string, key: string, increment = 1, error = 0): void {
    if (this.capacity <= 0) return
    if (rule.length > MAX_TOP_KEY_CHARS) rule = rule.slice(0, MAX_TOP_KEY_CHARS)
    if (key.length > MAX_TOP_KEY_CHARS) key = key.slice(0, MAX_TOP_KEY_CHARS)
    let keys = this.byRule.get(rule)
    const found = keys?.get(key)
    if (found !== undefined) {
      found.count += increment
      found.error += error
      this.siftDown(found.pos)
      return
    }
    if (keys === undefined) {
      keys = new Map()
      this.byRule.set(rule, keys)
    }
    const heap = this.heap
    if (heap.length < this.capacity) {
      const entry = new Entry(rule, key, increment, error, heap.length)
      heap.push(entry)
      keys.set(key, entry)
      this.siftUp(entry.pos)
      return
    }
    const min = heap[0]!
    const oldKeys = this.byRule.get(min.rule)!
    oldKeys.delete(min.key)
    if (oldKeys.size === 0 && oldKeys !== keys) this.byRule.delete(min.rule)
    min.error = min.count + error
    min.count += increment
    min.rule = rule
    min.key = key
    keys.set(key, min)
    this.siftDown(0)
  }

  /** Monitored pairs, highest count first (ties by rule, then key, so output is deterministic). */
  top(limit = this.capacity): TopLimitedEntry[] {
    const out = this.heap.map((e) => ({ rule: e.rule, key: e.key, count: e.count, error: e.error }))
    out.sort(compareTop)
    return out.length > limit ? out.slice(0, limit) : out
  }

  clear(): void {
    this.heap.length = 0
    this.byRule.clear()
  }

  private siftUp(pos: number): void {
    const heap = this.heap
    const entry = heap[pos]!
    while (pos > 0) {
      const parentPos = (pos - 1) >> 1
      const parent = heap[parentPos]!
      if (parent.count <= entry.count) break
      heap[pos] = parent
      parent.pos = pos
      pos = parentPos
    }
    heap[pos] = entry
    entry.pos = pos
  }

  private siftDown(pos: number): void {
    const heap = this.heap
    const n = heap.length
    const entry = heap[pos]!
    for (;;) {
      const left = 2 * pos + 1
      if (left >= n) break
      const right = left + 1
      let child = left
      if (right < n && heap[right]!.count < heap[left]!.count) child = right
      const c = heap[child]!
      if (c.count >= entry.count) break
      heap[pos] = c
      c.pos = pos
      pos = child
    }
    heap[pos] = entry
    entry.pos = pos
  }
}

export function compareTop(a: TopLimitedEntry, b: TopLimitedEntry): number {
  if (a.count !== b.count) return b.count - a.count
  if (a.rule !== b.rule) return a.rule < b.rule ? -1 : 1
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0
}

/**
 * Merges heavy-hitter lists (from several nodes or minutes): counts and errors of the same pair add up, then the
 * `limit` highest stay. This is the mergeable-summaries rule for Space-Saving: a pair missing from one input may
 * have been counted there below that input's minimum, so merged counts stay upper bounds only up to that slack.
 */
export function mergeTopLimited(lists: ReadonlyArray<ReadonlyArray<TopLimitedEntry>>, limit: number): TopLimitedEntry[] {
  const byRule = new Map<string, Map<string, TopLimitedEntry>>()
  const all: TopLimitedEntry[] = []
  for (const list of lists) {
    for (const e of list) {
      let keys = byRule.get(e.rule)
      if (keys === undefined) {
        keys = new Map()
        byRule.set(e.rule, keys)
      }
      const found = keys.get(e.key)
      if (found === undefined) {
        const copy = { rule: e.rule, key: e.key, count: e.count, error: e.error ?? 0 }
        keys.set(e.key, copy)
        all.push(copy)
      } else {
        found.count += e.count
        found.error += e.error ?? 0
      }
    }
  }
  all.sort(compareTop)
  return all.length > limit ? all.slice(0, limit) : all
}
