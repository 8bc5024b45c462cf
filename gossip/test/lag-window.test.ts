import { describe, expect, it } from 'vitest'
import { LagWindow } from '../lag-window.js'

describe('LagWindow', () => {
  it('is null before the first sample, then gives nearest-rank p50/p99 over the most recent samples', () => {
    const lag = new LagWindow(100)
    expect(lag.percentiles()).toBeNull()
    for (let i = 1; i <= 100; i++) lag.record(i)
    expect(lag.percentiles()).toEqual({ p50: 50, p99: 99 })
    // 100 newer samples of 1000 ms push every old one out
    for (let i = 0; i < 100; i++) lag.record(1000)
    expect(lag.percentiles()).toEqual({ p50: 1000, p99: 1000 })
  })

  it('records negative latencies (clock skew) as 0', () => {
    const lag = new LagWindow(4)
    lag.record(-5)
    expect(lag.percentiles()).toEqual({ p50: 0, p99: 0 })
  })
})
