import { describe, expect, it } from 'vitest'
import { retryAfterMs, slidingEstimate, WindowCounters, windowIndex } from '../index.js'

const W = 60_000
// A window boundary: window index 28_333_334 starts here.
const T0 = 28_333_334 * W

function alone(): WindowCounters {
  return new WindowCounters({ self: 'me' })
}

describe('sliding window rollover (injected now)', () => {
  it('start of a window: only what was counted in it, plus all of the previous window', () => {
    const c = alone()
    c.add('k', W, T0 - 1, 6) // last millisecond of the previous window
    expect(c.estimate('k', W, T0 - 1)).toBe(6)
    expect(c.estimate('k', W, T0)).toBe(6) // previous weighs 1 at the very start
    c.add('k', W, T0, 2)
    expect(c.estimate('k', W, T0)).toBe(8)
  })

  it('mid-window: the previous window weighs what still overlaps the last windowMs', () => {
    const c = alone()
    c.add('k', W, T0 - 10, 10)
    c.add('k', W, T0 + 5, 4)
    expect(c.estimate('k', W, T0 + W / 2)).toBeCloseTo(4 + 10 * 0.5, 10)
    expect(c.estimate('k', W, T0 + W / 4)).toBeCloseTo(4 + 10 * 0.75, 10)
  })

  it('exactly at the next boundary: the current window becomes the previous one at full weight', () => {
    const c = alone()
    c.add('k', W, T0 - 10, 10)
    c.add('k', W, T0 + 5, 4)
    expect(c.estimate('k', W, T0 + W - 1)).toBeCloseTo(4 + 10 / W, 10)
    expect(c.estimate('k', W, T0 + W)).toBe(4)
  })

  it('two windows later everything is dropped', () => {
    const c = alone()
    c.add('k', W, T0 + 5, 4)
    expect(c.estimate('k', W, T0 + 2 * W)).toBe(0)
    expect(c.snapshot(T0 + 2 * W)).toEqual([])
  })

  it('check uses the same estimate and never changes counts', () => {
    const c = alone()
    c.add('k', W, T0 - 10, 9)
    for (let i = 0; i < 5; i++) {
      const r = c.check('k', 10, W, T0 + W / 2)
      expect(r).toEqual({ allowed: true, estimate: 4.5, remaining: 5, resetMs: 0 })
    }
    expect(c.estimate('k', W, T0 + W / 2)).toBe(4.5)
  })

  it('rejects once the estimate plus the cost passes the limit, with the time until it would not', () => {
    const c = alone()
    c.add('k', W, T0 - 10, 10)
    // At T0 + W/2: estimate 5. Limit 5, cost 1 -> need 10 * (1 - x) <= 4 -> x >= 0.6 -> 0.1 window later.
    const r = c.check('k', 5, W, T0 + W / 2)
    expect(r.allowed).toBe(false)
    expect(r.estimate).toBe(5)
    expect(r.remaining).toBe(0)
    expect(r.resetMs).toBe(W / 10)
    expect(c.check('k', 5, W, T0 + W / 2 + r.resetMs).allowed).toBe(true)
  })

  it('retryAfterMs: within the window, in the next one, and when the cost can never fit', () => {
    // Current window already over: wait for the next window, then until current * (1 - x) <= limit - cost.
    expect(retryAfterMs(12, 0, T0 + W / 2, W, 10, 1)).toBe(W / 2 + W / 4)
    expect(retryAfterMs(0, 0, T0, W, 10, 1)).toBe(0)
    expect(retryAfterMs(0, 0, T0, W, 10, 11)).toBe(W)
  })

  it('slidingEstimate and windowIndex agree with the definition', () => {
    expect(windowIndex(T0 + W - 1, W)).toBe(28_333_334)
    expect(windowIndex(T0 + W, W)).toBe(28_333_335)
    const w = 28_333_334
    expect(slidingEstimate(3, 8, w, W, T0)).toBe(11)
    expect(slidingEstimate(3, 8, w, W, T0 + W / 2)).toBe(7)
    expect(slidingEstimate(3, 8, w, W, T0 + W + W / 2)).toBe(1.5) // a window later: current has become previous
    expect(slidingEstimate(3, 8, w, W, T0 + 2 * W)).toBe(0)
  })
})
