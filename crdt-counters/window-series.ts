// One (key, windowMs) series: the two window cells that can still matter (window `window` and `window - 1`), plus
// the per-key state of the budget split. Internal to WindowCounters.
//
// A cell is a G-counter stored as a dense array of slots indexed by NodeRegistry index (0 = this node), with its
// sum cached, instead of a GCounter's Map: a live key costs a few hundred bytes instead of a Map per window, and
// the hot path reads two numbers. When the window advances by one the arrays swap roles and the old one is zeroed,
// so rolling over allocates nothing.
//
// `curRefused`/`prevRefused` are a second G-counter per cell, allocated only for keys that have been split-refused
// somewhere: per node, the requests it refused only because its part of the budget was spent (demand it could not
// serve while budget remained). Admissions plus these refusals are a node's demand, which weighs the split.
//
// `rates` (allocated when the split first needs it; doubles, so nothing in it is boxed) holds the split's per-key
// numbers: a header, then RATES_STRIDE numbers per node index k starting at RATES_NODES + RATES_STRIDE * k:
//   [base]     admission rate, per ms, as of [base + 1]
//   [base + 1] when that rate was last updated
//   [base + 2] k = 0: own admissions already folded into the rate; k > 0: total increase of k's slot seen so far
//   [base + 3] k = 0: own split refusals ever; k > 0: the cap on [base + 2] this node modelled for k at its last
//              split (its claim)
//   [base + 4] refusal rate (split refusals), per ms, as of [base + 1]
//   [base + 5] k = 0: own refusals already folded into the rate; k > 0: total increase of k's refusals seen so far
//   [base + 6] k = 0: the claim this node last put in a delta (-1: none since the key was free); k > 0: the claim k
//              last announced (what it may still admit of its part)
//   [base + 7] k > 0: the window of that announcement (-Infinity: none); [base + 8] its version there (k's count +
//              refusals in that window)
// The per-series fields below stay few because a node holds up to a million series; only split keys have `rates`.

/** rates[RATES_SINCE]: when the rates started observing (see the warm-up correction in WindowCounters). */
export const RATES_SINCE = 0
/** rates[RATES_FREE_UNTIL], rates[RATES_FREE_ABOVE]: while now < until, free as long as limit - estimate - cost >= above. */
export const RATES_FREE_UNTIL = 1
export const RATES_FREE_ABOVE = 2
/** rates[RATES_CLAIMS_AT]: when the claims were set (-Infinity: none). */
export const RATES_CLAIMS_AT = 3
/**
 * rates[RATES_PEER_SUM]: sum of the peers' stored rates. Stored rates are only decayed when updated, so they and
 * this sum are upper bounds of the current rates: good enough to see in O(1) that a key is far from its limit.
 */
export const RATES_PEER_SUM = 4
export const RATES_NODES = 5
/** Numbers per node in `rates`. */
export const RATES_STRIDE = 9

export const DIRTY_CURRENT = 1
export const DIRTY_PREVIOUS = 2

export class WindowSeries {
  readonly key: string
  readonly windowMs: number
  /** Next series with the same key and another windowMs (rules with different windows over the same key). */
  sameKey: WindowSeries | null = null
  lruNewer: WindowSeries | null = null
  lruOlder: WindowSeries | null = null
  /** Index of the `cur` cell; `prev` is window - 1. */
  window: number
  cur: number[]
  prev: number[]
  curSum = 0
  prevSum = 0
  /** DIRTY_* bits: own slot changed since the last takeDelta. */
  dirty = 0
  removed = false
  /** Own admissions ever added to this series (monotonic; feeds the own rate). */
  ownAdds = 0
  /** Split refusals per node of the `cur` and `prev` cells; null until the key has any. */
  curRefused: number[] | null = null
  prevRefused: number[] | null = null
  rates: number[] | null = null
  /** When the current allotment was granted; -1 when the key is not tight. */
  grantAt = -1
  grantLimit = 0
  allotment = 0
  /** ownAdds when the allotment was granted. */
  grantBase = 0

  constructor(key: string, windowMs: number, window: number) {
    this.key = key
    this.windowMs = windowMs
    this.window = window
    this.cur = [0]
    this.prev = [0]
  }

  /**
   * Moves the series forward so that `cur` is window `w` (w > this.window). Returns how many non-empty cells died.
   * Unsent own-slot changes of dead cells are dropped with them (the caller keeps its pending count right).
   */
  advance(w: number): number {
    const step = w - this.window
    let died = 0
    if (step === 1) {
      if (this.prevSum > 0) died = 1
      const recycled = this.prev
      recycled.fill(0)
      this.prev = this.cur
      this.cur = recycled
      if (this.curRefused !== null) {
        const refused = this.prevRefused!
        refused.fill(0)
        this.prevRefused = this.curRefused
        this.curRefused = refused
      }
      this.prevSum = this.curSum
      this.curSum = 0
      this.dirty = (this.dirty & DIRTY_CURRENT) === 0 ? 0 : DIRTY_PREVIOUS
    } else {
      if (this.curSum > 0) died++
      if (this.prevSum > 0) died++
      this.cur.fill(0)
      this.prev.fill(0)
      if (this.curRefused !== null) {
        this.curRefused.fill(0)
        this.prevRefused!.fill(0)
      }
      this.curSum = 0
      this.prevSum = 0
      this.dirty = 0
    }
    this.window = w
    return died
  }

  /** Counts of window `w` and `w - 1` as this series holds them (0 for windows it no longer or not yet holds). */
  countAt(w: number): number {
    if (w === this.window) return this.curSum
    if (w === this.window - 1) return this.prevSum
    return 0
  }

  /**
   * Makes both cells long enough to hold slot `idx`, and `size` slots at least. Grown arrays are exactly that long:
   * growing by push() would leave V8's usual slack (capacity 17 for 3 slots), which for a million keys is most of
   * the memory.
   */
  ensureSlot(idx: number, size: number): void {
    const length = size > idx ? size : idx + 1
    this.cur = grown(this.cur, length)
    this.prev = grown(this.prev, length)
    if (this.curRefused !== null) {
      this.curRefused = grown(this.curRefused, length)
      this.prevRefused = grown(this.prevRefused!, length)
    }
  }

  /** The refusal cells, allocated (as long as the count cells) on first use. */
  refusedCells(): void {
    if (this.curRefused !== null) return
    this.curRefused = grown([0], this.cur.length)
    this.prevRefused = grown([0], this.prev.length)
  }
}

let zeros: number[] = [0]

function grown(cells: number[], length: number): number[] {
  if (cells.length >= length) return cells
  while (zeros.length < length) zeros = zeros.concat(zeros)
  const out = zeros.slice(0, length)
  for (let i = 0; i < cells.length; i++) out[i] = cells[i]!
  return out
}
