import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  apportion,
  createBudgetDecision,
  createBudgetView,
  decideBudget,
  DEFAULT_SPLIT_POLICY,
  reservedForPeers,
  type BudgetView,
} from '../index.js'

const MIN = 60_000

function viewOf(opts: {
  limit: number
  estimate?: number
  ids: string[]
  rates?: number[]
  heardAt?: number[]
  claims?: number[]
  now?: number
}): BudgetView {
  const v = createBudgetView()
  const n = opts.ids.length
  v.limit = opts.limit
  v.estimate = opts.estimate ?? 0
  v.cost = 1
  v.now = opts.now ?? 1000
  v.windowMs = MIN
  v.gossipDelayMs = 40
  v.count = n
  v.ids = [...opts.ids]
  v.rates = opts.rates ?? new Array(n).fill(0)
  v.heardAt = opts.heardAt ?? new Array(n).fill(v.now)
  v.claims = opts.claims ?? new Array(n).fill(0)
  return v
}

describe('budget split (pure policy)', () => {
  it('alone, the local view is the whole truth: never tight', () => {
    const d = decideBudget(viewOf({ limit: 10, estimate: 9, ids: ['me'] }), DEFAULT_SPLIT_POLICY, createBudgetDecision())
    expect(d.tight).toBe(false)
    expect(d.remaining).toBe(1)
  })

  it('a small limit with no rate history is tight and split evenly, remainder by node id', () => {
    const d = decideBudget(viewOf({ limit: 10, ids: ['b', 'a', 'c'] }), DEFAULT_SPLIT_POLICY, createBudgetDecision())
    expect(d.tight).toBe(true)
    // Index 1 is 'a': it wins the remainder.
    expect(d.allotments.slice(0, 3)).toEqual([3, 4, 3])
  })

  it('far from the limit the key is free; near it, tight', () => {
    const rates = [1, 1, 1] // 1 admission/ms per node
    const far = decideBudget(viewOf({ limit: 100_000, estimate: 1000, ids: ['a', 'b', 'c'], rates }), DEFAULT_SPLIT_POLICY, createBudgetDecision())
    expect(far.tight).toBe(false)
    const near = decideBudget(viewOf({ limit: 100_000, estimate: 99_500, ids: ['a', 'b', 'c'], rates }), DEFAULT_SPLIT_POLICY, createBudgetDecision())
    expect(near.tight).toBe(true)
  })

  it('reserves, per peer, the larger of its unseen admissions and its outstanding claim; never for self', () => {
    const v = viewOf({ limit: 1000, ids: ['me', 'p', 'q'], rates: [5, 0.1, 0.1], claims: [99, 30, 0], now: 1000, heardAt: [0, 980, 1000] })
    // p: unseen 0.1 * (20 + 20) = 4 < claim 30; q: unseen 0.1 * (0 + 20) = 2 > claim 0.
    expect(reservedForPeers(v)).toBeCloseTo(32, 10)
  })

  it('allotments are weighted by rate and sum exactly to the integer budget', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: 2, maxLength: 12 }),
        fc.integer({ min: 0, max: 5000 }),
        (rates, budget) => {
          const ids = rates.map((_, i) => `node-${i}`)
          const v = viewOf({ limit: 10_000, ids, rates })
          const out: number[] = []
          apportion(v, budget, DEFAULT_SPLIT_POLICY, out)
          expect(out.slice(0, ids.length).reduce((s, x) => s + x, 0)).toBe(budget)
          for (const a of out.slice(0, ids.length)) expect(Number.isInteger(a) && a >= 0).toBe(true)
          // A node with a higher rate never gets less than one with a lower rate, beyond the remainder unit.
          for (let i = 0; i < rates.length; i++) {
            for (let j = 0; j < rates.length; j++) {
              if (rates[i]! > rates[j]!) expect(out[i]!).toBeGreaterThanOrEqual(out[j]! - 1)
            }
          }
        },
      ),
    )
  })

  it('with equal views every node computes the same allotment for every node (so they sum to what remains)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 5, noNaN: true }), { minLength: 2, maxLength: 8 }),
        fc.integer({ min: 0, max: 100_000 }),
        (rates, budget) => {
          const ids = rates.map((_, i) => `12D3KooW-${String.fromCharCode(97 + ((i * 5) % 26))}${i}`)
          const own: number[] = []
          for (let self = 0; self < ids.length; self++) {
            // The same cluster as seen from `self`: self first, the others after, in some other order.
            const order = [self, ...ids.map((_, i) => i).filter((i) => i !== self).reverse()]
            const v = viewOf({ limit: 1000, ids: order.map((i) => ids[i]!), rates: order.map((i) => rates[i]!) })
            const out: number[] = []
            apportion(v, budget, DEFAULT_SPLIT_POLICY, out)
            own.push(out[0]!)
          }
          expect(own.reduce((s, x) => s + x, 0)).toBe(budget)
        },
      ),
    )
  })

  it('float dust in the reservation does not cost a whole unit of budget', () => {
    const v = viewOf({ limit: 2, ids: ['me', 'p'], rates: [0, 1e-17] })
    const d = decideBudget(v, DEFAULT_SPLIT_POLICY, createBudgetDecision())
    expect(d.remaining).toBeLessThan(2)
    expect(d.allotments[0]! + d.allotments[1]!).toBe(2)
  })

  it('a node that has admitted nothing lately still gets a part once the budget is large enough', () => {
    const v = viewOf({ limit: 1000, ids: ['busy', 'idle'], rates: [1, 0] })
    const out: number[] = []
    apportion(v, 1000, DEFAULT_SPLIT_POLICY, out)
    expect(out[1]).toBeGreaterThan(0)
    expect(out[0]).toBeGreaterThan(out[1]!)
  })
})
