import { describe, expect, it } from 'vitest'
import { WindowCounters } from '../index.js'

const W = 60_000
const T0 = 1_700_000_040_000 // a multiple of W

describe('WindowCounters.topKeys', () => {
  it('lists the keys of one prefix and window length by estimate, highest first, at most `limit`', () => {
    const c = new WindowCounters({ self: 'n0', budgetSplit: false })
    c.add('per-ip|10.0.0.1', W, T0, 5)
    c.add('per-ip|10.0.0.2', W, T0, 9)
    c.add('per-ip|10.0.0.3', W, T0, 1)
    c.add('per-ip|10.0.0.4', W, T0, 7)
    c.add('per-ip|10.0.0.2', 1000, T0, 50) // same key, other window length: not listed
    c.add('per-ipx|10.0.0.9', W, T0, 100) // another rule whose id starts alike, but not with "per-ip|"
    c.add('other', W, T0, 100)

    expect(c.topKeys('per-ip|', W, T0, 3)).toEqual([
      { key: 'per-ip|10.0.0.2', estimate: 9 },
      { key: 'per-ip|10.0.0.4', estimate: 7 },
      { key: 'per-ip|10.0.0.1', estimate: 5 },
    ])
    expect(c.topKeys('per-ip|', W, T0, 10)).toHaveLength(4)
    expect(c.topKeys('per-ip|', 1000, T0, 10)).toEqual([{ key: 'per-ip|10.0.0.2', estimate: 50 }])
    expect(c.topKeys('nothing|', W, T0, 10)).toEqual([])
    expect(c.topKeys('per-ip|', W, T0, 0)).toEqual([])
  })

  it('answers the sliding estimate at `now` and leaves out keys whose windows have passed', () => {
    const c = new WindowCounters({ self: 'n0', budgetSplit: false })
    c.add('r|a', W, T0, 10)
    c.add('r|b', W, T0 + W, 4)
    // Half-way through the next window: a counts half of its previous window, b its current one.
    expect(c.topKeys('r|', W, T0 + W + W / 2, 5)).toEqual([
      { key: 'r|a', estimate: 5 },
      { key: 'r|b', estimate: 4 },
    ])
    // Two windows later a is gone; b still weighs in through its previous window.
    expect(c.topKeys('r|', W, T0 + 2 * W + W / 4, 5)).toEqual([{ key: 'r|b', estimate: 3 }])
    expect(c.topKeys('r|', W, T0 + 4 * W, 5)).toEqual([])
  })

  it('counts what peers sent, and breaks ties by key', () => {
    const c = new WindowCounters({ self: 'n0', budgetSplit: false })
    c.mergeSnapshot(
      [
        ['r|z', W, T0 / W, [['n1', 3]]],
        ['r|y', W, T0 / W, [['n2', 3]]],
        ['r|x', W, T0 / W, [['n1', 1], ['n2', 1]]],
      ],
      T0,
    )
    expect(c.topKeys('r|', W, T0, 2)).toEqual([
      { key: 'r|y', estimate: 3 },
      { key: 'r|z', estimate: 3 },
    ])
  })
})
