import { describe, expect, it } from 'vitest'
import { SimulatedNetwork, skewedLoad, uniformLoad, type SimulationOptions, type Traffic } from '../testing/simulated-network.js'

const MIN = 60_000
// 5 s into a window, so a short burst falls inside one window.
const START = Math.ceil(1.7e12 / MIN) * MIN + 5000

function hammer(nodes: number, perNode: number, spreadMs: number): Traffic[] {
  return Array.from({ length: nodes }, (_, node) => ({ kind: 'burst' as const, node, count: perNode, at: 0, spreadMs }))
}

function run(opts: SimulationOptions) {
  return new SimulatedNetwork(opts).run()
}

describe('simulated network: convergence', () => {
  it('converges after a partition heals, under drops, duplicates and reordering (seed printed on failure)', () => {
    for (const seed of [1, 2, 3]) {
      const keys = ['ip=1.1.1.1', 'ip=2.2.2.2', 'path=/items/*']
      const traffic: Traffic[] = []
      for (let node = 0; node < 4; node++) {
        for (const key of keys) traffic.push({ kind: 'rate', node, rps: 40, from: 0, to: 8000, key })
      }
      const sim = new SimulatedNetwork({
        seed,
        nodes: 4,
        rules: keys.map((key) => ({ key, limit: 100_000, windowMs: 10_000 })),
        traffic,
        durationMs: 12_000,
        startMs: START,
        gossipIntervalMs: 20,
        latencyMs: 2,
        jitterMs: 30, // frames overtake each other
        dropRate: 0.2,
        duplicateRate: 0.1,
        antiEntropyEveryMs: 2000,
        partitions: [{ from: 2000, to: 6000, groups: [[0, 1], [2, 3]] }],
      })
      const report = sim.run()
      expect(report.framesDropped, `seed ${seed}`).toBeGreaterThan(0)
      const snaps = sim.snapshots()
      expect(snaps[0]!.length, `seed ${seed}`).toBeGreaterThan(0)
      for (let i = 1; i < snaps.length; i++) expect(snaps[i], `seed ${seed}: node ${i} differs from node 0`).toEqual(snaps[0])
      // And what they converged to is the truth: each node's slot is what that node admitted.
      let total = 0
      for (const [, , , slots] of snaps[0]!) for (const [, v] of slots) total += v
      const live = report.windows.filter((w) => w.window >= Math.floor(sim.time / 10_000) - 1)
      expect(total, `seed ${seed}`).toBe(live.reduce((s, w) => s + w.admitted, 0))
    }
  })

  it('reconnection alone (anti-entropy on heal) repairs what a partition hid', () => {
    const seed = 7
    const sim = new SimulatedNetwork({
      seed,
      nodes: 3,
      rules: [{ key: 'k', limit: 1_000_000, windowMs: MIN }],
      traffic: uniformLoad(3, 300, 0, 5000),
      durationMs: 9000,
      startMs: START,
      partitions: [{ from: 1000, to: 4000, groups: [[0], [1, 2]] }],
    })
    sim.run(3500)
    const during = sim.snapshots()
    expect(during[0], `seed ${seed}: a partition should hide counts`).not.toEqual(during[1])
    sim.run(9000)
    const after = sim.snapshots()
    expect(after[1], `seed ${seed}`).toEqual(after[0])
    expect(after[2], `seed ${seed}`).toEqual(after[0])
  })

  it('is deterministic: the same seed replays the same run', () => {
    const opts: SimulationOptions = {
      seed: 42,
      nodes: 3,
      rules: [{ key: 'k', limit: 300, windowMs: MIN }],
      traffic: skewedLoad(3, 200, 0, 3000),
      durationMs: 4000,
      startMs: START,
      jitterMs: 5,
      dropRate: 0.05,
    }
    expect(run(opts)).toEqual(run(opts))
    expect(run({ ...opts, seed: 43 }).admittedByNode).not.toEqual(run(opts).admittedByNode)
  })
})

describe('simulated network: gossip volume', () => {
  it('grows with the keys touched per interval, not with the requests', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `ip=10.0.${i >> 8}.${i & 255}`)
    const rules = keys.map((key) => ({ key, limit: 1_000_000, windowMs: MIN }))
    const bytes = (rps: number, touched: string[]) =>
      run({
        seed: 5,
        nodes: 3,
        rules,
        traffic: [0, 1, 2].map((node) => ({ kind: 'rate' as const, node, rps, from: 0, to: 4000, keys: touched })),
        durationMs: 4000,
        startMs: START,
      }).gossipBytesPerNodePerSec
    const oneKey = bytes(1000, keys.slice(0, 1))
    const oneKeyBusier = bytes(4000, keys.slice(0, 1))
    const manyKeys = bytes(1000, keys)
    expect(oneKeyBusier).toBeLessThan(oneKey * 1.2)
    expect(manyKeys).toBeGreaterThan(oneKey * 5)
  })
})

describe('simulated network: over-admission bounds (budget split on)', () => {
  it('10/min hammered on 3 nodes at once from a cold start: 9 to 11 admitted', () => {
    for (const gossipIntervalMs of [20, 100]) {
      for (let seed = 1; seed <= 5; seed++) {
        const r = run({ seed, nodes: 3, rules: [{ key: 'k', limit: 10, windowMs: MIN }], traffic: hammer(3, 100, 200), durationMs: 3000, startMs: START, gossipIntervalMs, jitterMs: 2 })
        expect(r.admittedTotal, `seed ${seed}, gossip ${gossipIntervalMs} ms`).toBeGreaterThanOrEqual(9)
        expect(r.admittedTotal, `seed ${seed}, gossip ${gossipIntervalMs} ms`).toBeLessThanOrEqual(11)
      }
    }
  })

  it('300/min with 900 requests spread over 3 nodes: 290 to 303 admitted', () => {
    for (const spreadMs of [1000, 10_000]) {
      for (let seed = 1; seed <= 5; seed++) {
        const r = run({ seed, nodes: 3, rules: [{ key: 'k', limit: 300, windowMs: MIN }], traffic: hammer(3, 300, spreadMs), durationMs: spreadMs + 2000, startMs: START, gossipIntervalMs: 20, jitterMs: 2 })
        expect(r.admittedTotal, `seed ${seed}, spread ${spreadMs} ms`).toBeGreaterThanOrEqual(290)
        expect(r.admittedTotal, `seed ${seed}, spread ${spreadMs} ms`).toBeLessThanOrEqual(303)
      }
    }
  })

  it('10,000/min on 4 nodes, uniform and skewed: every window within 1% of the limit', () => {
    for (const load of ['uniform', 'skewed'] as const) {
      for (const seed of [1, 2]) {
        const traffic = load === 'uniform' ? uniformLoad(4, 400, 0, 2 * MIN) : skewedLoad(4, 400, 0, 2 * MIN, 0.8)
        const r = run({ seed, nodes: 4, rules: [{ key: 'k', limit: 10_000, windowMs: MIN }], traffic, durationMs: 2 * MIN, gossipIntervalMs: 20, jitterMs: 2 })
        expect(r.windows.length).toBe(2)
        for (const w of r.windows) {
          expect(w.admitted, `seed ${seed}, ${load}, window ${w.window}`).toBeLessThanOrEqual(10_100)
          expect(w.admitted, `seed ${seed}, ${load}, window ${w.window}`).toBeGreaterThanOrEqual(9_900)
        }
      }
    }
  })

  it('far from the limit nobody is ever rejected', () => {
    for (const seed of [1, 2, 3]) {
      // 30% of the limit, bursty (Poisson) and skewed.
      const r = run({ seed, nodes: 4, rules: [{ key: 'k', limit: 10_000, windowMs: MIN }], traffic: skewedLoad(4, 50, 0, MIN), durationMs: MIN, gossipIntervalMs: 20, jitterMs: 2 })
      expect(r.admittedTotal, `seed ${seed}`).toBe(r.demandTotal)
    }
  })

  it('without the split the same hammering over-admits (what the split buys)', () => {
    const r = run({ seed: 1, nodes: 3, rules: [{ key: 'k', limit: 10, windowMs: MIN }], traffic: hammer(3, 100, 200), durationMs: 3000, startMs: START, budgetSplit: false, jitterMs: 2 })
    expect(r.admittedTotal).toBeGreaterThan(11)
  })

  it('a node cut off from every peer decides alone and keeps limiting', () => {
    const r = run({
      seed: 3,
      nodes: 3,
      rules: [{ key: 'k', limit: 100, windowMs: MIN }],
      traffic: [{ kind: 'rate', node: 0, rps: 50, from: 2000, to: 10_000 }],
      durationMs: 10_000,
      startMs: START,
      partitions: [{ from: 0, to: 10_000, groups: [[0], [1, 2]] }],
    })
    // Its peers are marked down after suspectAfterMs; alone it admits up to the full limit, never beyond.
    expect(r.admittedByNode[0]).toBe(100)
  })
})
