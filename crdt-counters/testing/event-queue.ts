// Binary min-heap of timed events for the simulator. Events at the same time come out in the order they were
// pushed (a sequence number breaks ties), which keeps a seeded run deterministic.

export class EventQueue<E> {
  private times: number[] = []
  private seqs: number[] = []
  private items: E[] = []
  private seq = 0

  get size(): number {
    return this.items.length
  }

  /** Time of the earliest event; Infinity when empty. */
  peekTime(): number {
    return this.items.length === 0 ? Infinity : this.times[0]!
  }

  push(time: number, item: E): void {
    let i = this.items.length
    this.times.push(time)
    this.seqs.push(this.seq++)
    this.items.push(item)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(i, parent)) break
      this.swap(i, parent)
      i = parent
    }
  }

  /** Removes and returns the earliest event (undefined when empty). */
  pop(): E | undefined {
    const n = this.items.length
    if (n === 0) return undefined
    const top = this.items[0]!
    this.swap(0, n - 1)
    this.times.pop()
    this.seqs.pop()
    this.items.pop()
    let i = 0
    const size = n - 1
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < size && this.before(l, m)) m = l
      if (r < size && this.before(r, m)) m = r
      if (m === i) break
      this.swap(i, m)
      i = m
    }
    return top
  }

  private before(i: number, j: number): boolean {
    const ti = this.times[i]!
    const tj = this.times[j]!
    return ti < tj || (ti === tj && this.seqs[i]! < this.seqs[j]!)
  }

  private swap(i: number, j: number): void {
    const t = this.times[i]!
    this.times[i] = this.times[j]!
    this.times[j] = t
    const s = this.seqs[i]!
    this.seqs[i] = this.seqs[j]!
    this.seqs[j] = s
    const it = this.items[i]!
    this.items[i] = this.items[j]!
    this.items[j] = it
  }
}
