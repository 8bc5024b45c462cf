import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareHlc, HybridClock, LwwMap, type Hlc, type LwwEntry } from '../index.js'

const stamp = fc.record({
  wall: fc.integer({ min: 0, max: 50 }),
  counter: fc.integer({ min: 0, max: 3 }),
  node: fc.constantFrom('n1', 'n2', 'n3'),
})

describe('HLC', () => {
  it('compareHlc orders by wall, then counter, then node', () => {
    expect(compareHlc({ wall: 1, counter: 9, node: 'z' }, { wall: 2, counter: 0, node: 'a' })).toBeLessThan(0)
    expect(compareHlc({ wall: 2, counter: 1, node: 'a' }, { wall: 2, counter: 0, node: 'z' })).toBeGreaterThan(0)
    expect(compareHlc({ wall: 2, counter: 1, node: 'a' }, { wall: 2, counter: 1, node: 'b' })).toBeLessThan(0)
    expect(compareHlc({ wall: 2, counter: 1, node: 'a' }, { wall: 2, counter: 1, node: 'a' })).toBe(0)
  })

  it('is monotonic: every stamp is greater than every stamp issued or observed before, whatever the wall clock does', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('now' as const), wall: fc.integer({ min: 0, max: 1000 }) }),
      fc.record({
        kind: fc.constant('observe' as const),
        wall: fc.integer({ min: 0, max: 1000 }),
        remote: fc.record({ wall: fc.integer({ min: 0, max: 1100 }), counter: fc.integer({ min: 0, max: 5 }), node: fc.constantFrom('x', 'y') }),
      }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const clock = new HybridClock('me')
        let highest: Hlc | null = null
        for (const o of ops) {
          if (o.kind === 'now') {
            const s = clock.now(o.wall)
            if (highest !== null) expect(compareHlc(s, highest)).toBeGreaterThan(0)
            highest = s
            expect(s.wall).toBeGreaterThanOrEqual(o.wall)
          } else {
            clock.observe(o.remote, o.wall)
            if (highest === null || compareHlc(o.remote, highest) > 0) highest = o.remote
          }
        }
      }),
    )
  })

  it('does not follow a remote clock further ahead than maxDriftMs', () => {
    const clock = new HybridClock('me', { maxDriftMs: 1000 })
    clock.observe({ wall: 1e12, counter: 0, node: 'liar' }, 5000)
    expect(clock.driftClamps).toBe(1)
    const s = clock.now(5001)
    expect(s.wall).toBeLessThanOrEqual(6000)
  })
})

describe('LwwMap', () => {
  it('keeps the newest write, refuses equal or older stamps, and a tombstone hides the key', () => {
    const m = new LwwMap<number>()
    expect(m.set('r', 1, { wall: 10, counter: 0, node: 'a' })).toBe(true)
    expect(m.set('r', 2, { wall: 9, counter: 5, node: 'z' })).toBe(false)
    expect(m.set('r', 3, { wall: 10, counter: 0, node: 'a' })).toBe(false)
    expect(m.get('r')).toBe(1)
    expect(m.delete('r', { wall: 11, counter: 0, node: 'b' })).toBe(true)
    expect(m.get('r')).toBeUndefined()
    // A stale write cannot resurrect it.
    expect(m.set('r', 4, { wall: 10, counter: 9, node: 'z' })).toBe(false)
    expect(m.values()).toEqual([])
    expect(m.snapshot()).toEqual([{ key: 'r', value: null, stamp: { wall: 11, counter: 0, node: 'b' } }])
  })

  it('merge returns only the keys whose visible value changed', () => {
    const m = new LwwMap<{ limit: number }>()
    m.set('a', { limit: 1 }, { wall: 1, counter: 0, node: 'n' })
    const changed = m.merge([
      { key: 'a', value: { limit: 1 }, stamp: { wall: 2, counter: 0, node: 'n' } }, // newer, same value
      { key: 'b', value: null, stamp: { wall: 2, counter: 0, node: 'n' } }, // tombstone for an unknown key
      { key: 'c', value: { limit: 5 }, stamp: { wall: 2, counter: 0, node: 'n' } }, // new
      { key: 'a', value: { limit: 9 }, stamp: { wall: 1, counter: 0, node: 'm' } }, // older: ignored
    ])
    expect(changed).toEqual(['c'])
    expect(m.get('a')).toEqual({ limit: 1 })
  })

  it('takeDelta returns local and merged changes once', () => {
    const m = new LwwMap<number>()
    m.set('a', 1, { wall: 1, counter: 0, node: 'n' })
    m.merge([{ key: 'b', value: 2, stamp: { wall: 1, counter: 0, node: 'm' } }])
    expect(m.takeDelta().map((e) => e.key).sort()).toEqual(['a', 'b'])
    expect(m.takeDelta()).toEqual([])
  })

  it('replicas converge whatever order, duplication or grouping entries arrive in', () => {
    const entry = fc.record({
      key: fc.constantFrom('r1', 'r2', 'r3'),
      value: fc.option(fc.integer({ min: 0, max: 9 }), { nil: null }),
      stamp,
    })
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 25 }), fc.integer(), (entries: LwwEntry<number>[], seed) => {
        // The same stamp is never issued for two different writes (HLC stamps are unique per node).
        const unique = new Map<string, LwwEntry<number>>()
        for (const e of entries) unique.set(`${e.stamp.wall}/${e.stamp.counter}/${e.stamp.node}/${e.key}`, e)
        const list = [...unique.values()]
        const a = new LwwMap<number>()
        a.merge(list)
        const b = new LwwMap<number>()
        const shuffled = fc.sample(fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }), { seed, numRuns: 1 })[0]!
        for (const e of shuffled) b.merge([e, e])
        const c = new LwwMap<number>()
        c.merge(b.snapshot())
        const canon = (m: LwwMap<number>) => m.snapshot().sort((x, y) => (x.key < y.key ? -1 : 1))
        expect(canon(b)).toEqual(canon(a))
        expect(canon(c)).toEqual(canon(a))
      }),
    )
  })
})
