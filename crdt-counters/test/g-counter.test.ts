import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CounterArgumentError, GCounter } from '../index.js'

const NODES = ['a', 'b', 'c', 'd']

/** A counter built by each node raising its own slot a few times (how G-counters are really written). */
const counter = fc
  .array(fc.tuple(fc.constantFrom(...NODES), fc.integer({ min: 0, max: 1000 })), { maxLength: 20 })
  .map((ops) => {
    const g = new GCounter()
    for (const [node, n] of ops) g.increment(node, n)
    return g
  })

function state(g: GCounter): Record<string, number> {
  return Object.fromEntries([...g.entries()].sort(([a], [b]) => (a < b ? -1 : 1)))
}

function merged(...gs: GCounter[]): GCounter {
  const out = new GCounter()
  for (const g of gs) out.merge(g)
  return out
}

describe('GCounter', () => {
  it('value is the sum of the slots and increment returns the new own slot', () => {
    const g = new GCounter()
    expect(g.increment('a')).toBe(1)
    expect(g.increment('a', 4)).toBe(5)
    expect(g.increment('b', 2)).toBe(2)
    expect(g.value).toBe(7)
    expect(g.get('a')).toBe(5)
    expect(g.get('zzz')).toBe(0)
  })

  it('raise keeps the per-slot max and says whether anything changed', () => {
    const g = new GCounter()
    expect(g.raise('a', 3)).toBe(true)
    expect(g.raise('a', 2)).toBe(false)
    expect(g.raise('a', 3)).toBe(false)
    expect(g.raise('a', Number.NaN)).toBe(false)
    expect(g.raise('a', -1)).toBe(false)
    expect(g.get('a')).toBe(3)
    expect(g.value).toBe(3)
  })

  it('refuses increments that would shrink or poison the counter', () => {
    const g = new GCounter()
    for (const bad of [-1, Number.NaN, Infinity]) {
      expect(() => g.increment('a', bad)).toThrow(CounterArgumentError)
    }
    try {
      g.increment('a', -1)
    } catch (err) {
      expect((err as CounterArgumentError).code).toBe('MELIPROXY_ERR_COUNTER_ARGUMENT')
    }
    expect(g.value).toBe(0)
  })

  it('merge is commutative', () => {
    fc.assert(
      fc.property(counter, counter, (x, y) => {
        expect(state(merged(x, y))).toEqual(state(merged(y, x)))
        expect(merged(x, y).value).toBe(merged(y, x).value)
      }),
    )
  })

  it('merge is associative', () => {
    fc.assert(
      fc.property(counter, counter, counter, (x, y, z) => {
        const left = merged(merged(x, y), z)
        const right = merged(x, merged(y, z))
        expect(state(left)).toEqual(state(right))
        expect(left.value).toBe(right.value)
      }),
    )
  })

  it('merge is idempotent and reports no change the second time', () => {
    fc.assert(
      fc.property(counter, counter, (x, y) => {
        const once = merged(x, y)
        const before = state(once)
        expect(once.merge(y)).toBe(false)
        expect(once.merge(once)).toBe(false)
        expect(state(once)).toEqual(before)
      }),
    )
  })

  it('cached value always equals the sum of entries', () => {
    fc.assert(
      fc.property(counter, counter, (x, y) => {
        const m = merged(x, y)
        let sum = 0
        for (const [, v] of m.entries()) sum += v
        expect(m.value).toBe(sum)
      }),
    )
  })
})
