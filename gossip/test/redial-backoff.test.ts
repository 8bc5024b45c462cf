import { describe, expect, it } from 'vitest'
import { REDIAL_MAX_MS, REDIAL_MIN_MS } from '../constants.js'
import { RedialBackoff } from '../redial-backoff.js'

describe('RedialBackoff', () => {
  it('doubles from 100 ms to a 2 s cap, each wait jittered within [delay/2, delay], and resets', () => {
    const high = new RedialBackoff(() => 0.999999)
    const low = new RedialBackoff(() => 0)
    const highs = Array.from({ length: 8 }, () => Math.round(high.next()))
    const lows = Array.from({ length: 8 }, () => Math.round(low.next()))
    expect(highs).toEqual([100, 200, 400, 800, 1600, 2000, 2000, 2000])
    expect(lows).toEqual([50, 100, 200, 400, 800, 1000, 1000, 1000])
    high.reset()
    expect(Math.round(high.next())).toBe(REDIAL_MIN_MS)
    for (let i = 0; i < 100; i++) expect(high.next()).toBeLessThanOrEqual(REDIAL_MAX_MS)
  })
})
