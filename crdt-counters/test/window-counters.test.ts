import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CounterArgumentError, decodeDelta, decodeState, encodeDelta, encodeState, WindowCounters, type StateEntry } from '../index.js'
import { normalise } from '../testing/simulated-network.js'

const W = 1000
const T0 = 1_700_000_000_000 // a multiple of W
const NODES = ['n0', 'n1', 'n2']

interface Op {
  node: number
  key: string
  windowMs: number
  dt: number
  n: number
}
const op: fc.Arbitrary<Op> = fc.record({
  node: fc.integer({ min: 0, max: 2 }),
  key: fc.constantFrom('a', 'b', 'ip=1.2.3.4'),
  windowMs: fc.constantFrom(W, 3 * W),
  dt: fc.integer({ min: 0, max: 700 }),
  n: fc.integer({ min: 1, max: 5 }),
})

/** Runs ops on three nodes with no gossip; returns the nodes and the final time. */
function runOps(ops: Op[]): { nodes: WindowCounters[]; now: number } {
  const nodes = NODES.map((self) => new WindowCounters({ self }))
  let now = T0
  for (const o of ops) {
    now += o.dt
    nodes[o.node]!.add(o.key, o.windowMs, now, o.n)
  }
  return { nodes, now }
}

function view(c: WindowCounters, now: number): StateEntry[] {
  return normalise(c.snapshot(now))
}

function mergedFrom(states: StateEntry[][], now: number): WindowCounters {
  const c = new WindowCounters({ self: 'observer' })
  for (const s of states) c.mergeSnapshot(s, now)
  return c
}

describe('WindowCounters as a CRDT', () => {
  it('snapshot merge is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const { nodes, now } = runOps(ops)
        const [x, y, z] = nodes.map((n) => n.snapshot(now)) as [StateEntry[], StateEntry[], StateEntry[]]
        const xyz = view(mergedFrom([x, y, z], now), now)
        expect(view(mergedFrom([z, y, x], now), now)).toEqual(xyz)
        expect(view(mergedFrom([y, x, z], now), now)).toEqual(xyz)
        // (x + y) + z == x + (y + z)
        const xy = mergedFrom([x, y], now).snapshot(now)
        const yz = mergedFrom([y, z], now).snapshot(now)
        expect(view(mergedFrom([xy, z], now), now)).toEqual(view(mergedFrom([x, yz], now), now))
        // Merging again changes nothing.
        const again = mergedFrom([x, y, z, z, x, y, xy], now)
        expect(view(again, now)).toEqual(xyz)
      }),
    )
  })

  it('applying a delta equals applying the mutation, with duplicates, reordering and the real codec', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.integer({ min: 1, max: 4 }), fc.integer(), (ops, every, seed) => {
        const a = new WindowCounters({ self: 'a' })
        const b = new WindowCounters({ self: 'b' })
        let now = T0
        const frames: Uint8Array[] = []
        ops.forEach((o, i) => {
          now += o.dt
          a.add(o.key, o.windowMs, now, o.n)
          if (i % every === 0) frames.push(encodeDelta(a.takeDelta()))
        })
        frames.push(encodeDelta(a.takeDelta()))
        expect(a.pendingDeltaSize()).toBe(0)
        // Deliver every frame twice, in a shuffled order, all at the end.
        const delivery = fc.sample(fc.shuffledSubarray([...frames, ...frames], { minLength: frames.length * 2 }), { seed, numRuns: 1 })[0]!
        for (const f of delivery) b.mergeDelta('a', decodeDelta(f), now)
        expect(view(b, now)).toEqual(view(a, now))
        for (const o of ['a', 'b', 'ip=1.2.3.4']) {
          for (const wm of [W, 3 * W]) expect(b.estimate(o, wm, now)).toBe(a.estimate(o, wm, now))
        }
      }),
    )
  })

  it('snapshot exchange converges every node to the same state', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const { nodes, now } = runOps(ops)
        const snaps = nodes.map((n) => decodeState(encodeState(n.snapshot(now))))
        for (const n of nodes) for (const s of snaps) n.mergeSnapshot(s, now)
        const first = view(nodes[0]!, now)
        for (const n of nodes) expect(view(n, now)).toEqual(first)
      }),
    )
  })
})

describe('WindowCounters deltas', () => {
  it('takeDelta carries absolute own-slot values once; [] when nothing changed', () => {
    const c = new WindowCounters({ self: 'me' })
    expect(c.takeDelta()).toEqual([])
    c.add('k', W, T0 + 1)
    c.add('k', W, T0 + 2, 2)
    c.add('j', W, T0 + 3)
    expect(c.pendingDeltaSize()).toBe(2)
    expect(c.takeDelta().sort()).toEqual([
      ['j', W, T0 / W, 1],
      ['k', W, T0 / W, 3],
    ])
    expect(c.pendingDeltaSize()).toBe(0)
    expect(c.takeDelta()).toEqual([])
    c.add('k', W, T0 + 4)
    expect(c.takeDelta()).toEqual([['k', W, T0 / W, 4]])
  })

  it('a change in the previous window and one in the current are both sent; dead ones are not', () => {
    const c = new WindowCounters({ self: 'me' })
    c.add('k', W, T0 + 10) // window w
    c.add('k', W, T0 + W + 10) // window w + 1: w is now the previous cell, still unsent
    expect(c.pendingDeltaSize()).toBe(2)
    expect(c.takeDelta().sort()).toEqual([
      ['k', W, T0 / W, 1],
      ['k', W, T0 / W + 1, 1],
    ])
    c.add('k', W, T0 + W + 20)
    c.estimate('k', W, T0 + 3 * W) // two windows later: the unsent change died with its cell
    expect(c.pendingDeltaSize()).toBe(0)
    expect(c.takeDelta()).toEqual([])
  })

  it('mergeDelta ignores dead windows, windows more than one ahead, zero values and our own id', () => {
    const c = new WindowCounters({ self: 'me' })
    const w = T0 / W
    c.mergeDelta('p', [['k', W, w - 2, 5]], T0)
    c.mergeDelta('p', [['k', W, w + 2, 5]], T0)
    c.mergeDelta('p', [['k', W, w, 0]], T0)
    c.mergeDelta('me', [['k', W, w, 7]], T0)
    expect(c.estimate('k', W, T0)).toBe(0)
    c.mergeDelta('p', [['k', W, w + 1, 5]], T0) // a peer slightly ahead across the boundary
    expect(c.estimate('k', W, T0 + W)).toBe(5)
  })

  it('mergeSnapshot restores our own slot after a restart, and deltas then continue from it', () => {
    const before = new WindowCounters({ self: 'me' })
    before.add('k', W, T0 + 1, 7)
    const peer = new WindowCounters({ self: 'peer' })
    peer.mergeDelta('me', before.takeDelta(), T0 + 2)
    const restarted = new WindowCounters({ self: 'me' })
    restarted.mergeSnapshot(peer.snapshot(T0 + 3), T0 + 3)
    expect(restarted.estimate('k', W, T0 + 3)).toBe(7)
    restarted.add('k', W, T0 + 4)
    expect(restarted.takeDelta()).toEqual([['k', W, T0 / W, 8]])
  })
})

describe('WindowCounters bounds', () => {
  it('maxKeys: evicts the least recently used key and counts evictions', () => {
    const c = new WindowCounters({ self: 'me', maxKeys: 3 })
    c.add('a', W, T0)
    c.add('b', W, T0)
    c.add('c', W, T0)
    c.check('a', 10, W, T0) // a is now the most recently used
    c.add('d', W, T0) // evicts b
    expect(c.size).toBe(3)
    expect(c.evictions).toBe(1)
    expect(c.estimate('b', W, T0)).toBe(0)
    expect(c.estimate('a', W, T0)).toBe(1)
    for (let i = 0; i < 100; i++) c.add(`x${i}`, W, T0)
    expect(c.size).toBe(3)
    expect(c.evictions).toBe(101)
    // An evicted key's unsent change is no longer pending.
    expect(c.pendingDeltaSize()).toBe(3)
  })

  it('one key with several window lengths keeps one series per window length', () => {
    const c = new WindowCounters({ self: 'me' })
    c.add('k', W, T0, 2)
    c.add('k', 60 * W, T0, 5)
    expect(c.size).toBe(2)
    expect(c.estimate('k', W, T0)).toBe(2)
    expect(c.estimate('k', 60 * W, T0)).toBe(5)
    expect(c.prune(T0 + 2 * W)).toBe(1)
    expect(c.size).toBe(1)
    expect(c.estimate('k', 60 * W, T0 + 2 * W)).toBe(5)
  })

  it('prune drops dead cells and the keys left empty, and returns how many cells', () => {
    const c = new WindowCounters({ self: 'me' })
    c.add('old', W, T0)
    c.add('both', W, T0)
    c.add('both', W, T0 + W)
    c.add('fresh', W, T0 + 2 * W)
    expect(c.prune(T0 + 2 * W)).toBe(2) // old's cell and both's first cell
    expect(c.size).toBe(2)
    expect(c.estimate('both', W, T0 + 2 * W)).toBe(1)
    expect(c.prune(T0 + 2 * W)).toBe(0)
  })

  it('maxNodes bounds the node ids remembered from peers', () => {
    const c = new WindowCounters({ self: 'me', maxNodes: 3 })
    const slots: Array<[string, number]> = Array.from({ length: 10 }, (_, i) => [`n${i}`, 1])
    c.mergeSnapshot([['k', W, T0 / W, slots]], T0)
    expect(c.estimate('k', W, T0)).toBe(2)
    expect(c.refusedNodes).toBe(8)
  })

  it('refuses keys longer than maxKeyBytes (they could never be gossiped), counted in UTF-8 bytes', () => {
    const c = new WindowCounters({ self: 'me', maxKeyBytes: 12 })
    c.add('x'.repeat(12), W, T0)
    expect(() => c.add('x'.repeat(13), W, T0)).toThrow(CounterArgumentError)
    expect(() => c.check('€€€€€', 10, W, T0)).toThrow(CounterArgumentError) // 5 chars, 15 bytes
    expect(c.size).toBe(1)
    // The default follows the codec's default limit.
    const d = new WindowCounters({ self: 'me' })
    d.add('k'.repeat(512), W, T0)
    expect(() => d.add('k'.repeat(513), W, T0)).toThrow(CounterArgumentError)
    // From peers (validated under the codec's own limits) such keys are skipped, the rest still merged.
    c.mergeDelta('p', [['y'.repeat(13), W, T0 / W, 5], ['ok', W, T0 / W, 2]], T0)
    c.mergeSnapshot([['z'.repeat(13), W, T0 / W, [['p', 5]]]], T0)
    expect(c.estimate('ok', W, T0)).toBe(2)
    expect(c.size).toBe(2)
  })

  it('refuses arguments that would corrupt counts', () => {
    const c = new WindowCounters({ self: 'me' })
    expect(() => c.add('k', W, T0, -1)).toThrow(CounterArgumentError)
    expect(() => c.add('k', W, T0, 1.5)).toThrow(CounterArgumentError)
    expect(() => c.add('k', 0, T0)).toThrow(CounterArgumentError)
    expect(() => c.check('k', 10, 2.5, T0)).toThrow(CounterArgumentError)
    expect(() => c.check('k', 10, W, T0, Number.NaN)).toThrow(CounterArgumentError)
    expect(() => c.check('k', 10, W, T0, -1)).toThrow(CounterArgumentError)
    expect(() => new WindowCounters({ self: '' })).toThrow(CounterArgumentError)
    expect(() => new WindowCounters({ self: 'x', maxKeys: 0 })).toThrow(CounterArgumentError)
    expect(() => new WindowCounters({ self: 'x', gossipDelayMs: -1 })).toThrow(CounterArgumentError)
    expect(() => new WindowCounters({ self: 'x', urgentFlushWithin: -1 })).toThrow(CounterArgumentError)
    expect(() => new WindowCounters({ self: 'x', urgentFlushWithin: Number.NaN })).toThrow(CounterArgumentError)
    expect(() => new WindowCounters({ self: 'x', urgentLagMs: Infinity })).toThrow(CounterArgumentError)
    expect(c.size).toBe(0)
  })
})

describe('WindowCounters.snapshotPages', () => {
  it('yields the cells of snapshot() in pages that end after the key reaching the size', () => {
    const c = new WindowCounters({ self: 'me' })
    for (let i = 0; i < 50; i++) {
      c.add(`k${i}`, W, T0 + 1)
      c.add(`k${i}`, 3 * W, T0 + 1) // two series of one key: their cells stay in one page
    }
    c.add('k0', W, T0 + W + 1) // k0 of W has a current and a previous cell
    const now = T0 + W + 2
    const pages = [...c.snapshotPages(now, 7)]
    expect(pages.flat()).toEqual(c.snapshot(now))
    for (const page of pages.slice(0, -1)) expect(page.length).toBeGreaterThanOrEqual(7)
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(7 + 2)
    for (const page of pages) {
      const keys = new Set(page.map((e) => e[0]))
      for (const other of pages) if (other !== page) for (const e of other) expect(keys.has(e[0])).toBe(false)
    }
    expect(() => c.snapshotPages(now, 0).next()).toThrow(CounterArgumentError)
  })

  it('survives keys added and evicted between pages, and never yields a cell twice', () => {
    const c = new WindowCounters({ self: 'me', maxKeys: 40 })
    for (let i = 0; i < 40; i++) c.add(`old${i}`, W, T0 + 1)
    const seen: string[] = []
    let step = 0
    for (const page of c.snapshotPages(T0 + 2, 5)) {
      for (const e of page) seen.push(e[0])
      // Between pages, new keys arrive and push the least recently used old keys out.
      for (let j = 0; j < 3; j++) c.add(`new${step}-${j}`, W, T0 + 2)
      step++
    }
    expect(new Set(seen).size).toBe(seen.length)
    // Every key still held at the end, that was there from the start, was in the snapshot.
    for (const [key] of c.snapshot(T0 + 2)) if (key.startsWith('old')) expect(seen).toContain(key)
    expect(seen.some((k) => k.startsWith('old'))).toBe(true)
  })
})

describe('WindowCounters with peers (budget split)', () => {
  const MIN = 60_000
  const T = Math.ceil(T0 / MIN) * MIN + 5000

  function cluster(n: number): WindowCounters[] {
    const ids = Array.from({ length: n }, (_, i) => `node-${i}`)
    // These nodes exchange deltas only when a test says so: they do not flush near the limit either.
    const nodes = ids.map((self) => new WindowCounters({ self, gossipDelayMs: 40, urgentFlushWithin: 0 }))
    for (const a of nodes) for (const id of ids) if (id !== a.self) a.peerHeard(id, T)
    return nodes
  }

  it('a small limit is split before anyone admits: 10/min on 3 nodes gives 4, 3, 3', () => {
    const nodes = cluster(3)
    const admitted = nodes.map((c) => {
      let n = 0
      for (let i = 0; i < 20; i++) {
        if (c.check('k', 10, MIN, T + 1).allowed) {
          c.add('k', MIN, T + 1)
          n++
        }
      }
      return n
    })
    expect(admitted).toEqual([4, 3, 3])
  })

  it('far from the limit it never rejects, even with peers admitting at a high rate', () => {
    const [a, b] = cluster(2) as [WindowCounters, WindowCounters]
    let t = T
    for (let i = 0; i < 2000; i++) {
      t += 1
      // b admits 1/ms and a hears about it every 20 ms.
      b.add('k', MIN, t)
      if (i % 20 === 0) {
        a.peerHeard(b.self, t)
        a.mergeDelta(b.self, b.takeDelta(), t)
      }
      const r = a.check('k', 100_000, MIN, t)
      expect(r.allowed).toBe(true)
      a.add('k', MIN, t)
    }
  })

  it('without live peers a node decides alone on its local view', () => {
    const nodes = cluster(3)
    const a = nodes[0]!
    a.peerDown('node-1', T)
    a.peerDown('node-2', T)
    expect(a.livePeers).toBe(0)
    let n = 0
    for (let i = 0; i < 20; i++) {
      if (a.check('k', 10, MIN, T + 1).allowed) {
        a.add('k', MIN, T + 1)
        n++
      }
    }
    expect(n).toBe(10)
  })

  it('a down peer keeps its counts but gets no share', () => {
    const [a, b] = cluster(2) as [WindowCounters, WindowCounters]
    b.add('k', MIN, T, 4)
    a.mergeDelta(b.self, b.takeDelta(), T)
    a.peerDown(b.self, T + 1)
    expect(a.estimate('k', MIN, T + 1)).toBe(4)
    let n = 0
    for (let i = 0; i < 20; i++) {
      if (a.check('k', 10, MIN, T + 2).allowed) {
        a.add('k', MIN, T + 2)
        n++
      }
    }
    expect(n).toBe(6)
  })

  it("an exhausted allotment is renewed from fresh information, keeping the peer's part while it may still spend it", () => {
    const [a, b] = cluster(2) as [WindowCounters, WindowCounters]
    // 10/min on 2 nodes: 5 each at first.
    for (let i = 0; i < 5; i++) {
      expect(a.check('k', 10, MIN, T + 1).allowed).toBe(true)
      a.add('k', MIN, T + 1)
    }
    const rejected = a.check('k', 10, MIN, T + 2)
    expect(rejected.allowed).toBe(false)
    expect(rejected.remaining).toBe(5)
    expect(rejected.resetMs).toBeGreaterThan(0)
    expect(rejected.resetMs).toBeLessThanOrEqual(40)
    // b has admitted nothing so far and says so; its part (5) may still be spent, so a gets nothing more yet.
    a.peerHeard(b.self, T + 10)
    a.mergeDelta(b.self, b.takeDelta(), T + 10)
    expect(a.check('k', 10, MIN, T + 11).allowed).toBe(false)
    // Later, with b still silent about this key (heartbeats only), b's old part is no longer reserved.
    let t = T + 11
    let more = 0
    for (let i = 0; i < 20; i++) {
      t += 20
      a.peerHeard(b.self, t)
      if (a.check('k', 10, MIN, t).allowed) {
        a.add('k', MIN, t)
        more++
      }
    }
    expect(more).toBeGreaterThan(0)
    expect(more).toBeLessThanOrEqual(5)
  })

  it('budgetSplit false is the plain local-view check', () => {
    const plain = new WindowCounters({ self: 'x', budgetSplit: false })
    plain.peerHeard('y', T)
    let n = 0
    for (let i = 0; i < 20; i++) {
      if (plain.check('k', 10, MIN, T + 1).allowed) {
        plain.add('k', MIN, T + 1)
        n++
      }
    }
    expect(n).toBe(10)
  })
})

describe('WindowCounters: demand and claims near the limit', () => {
  const MIN = 60_000
  const T = Math.ceil(T0 / MIN) * MIN + 5000
  const w = T / MIN - (T % MIN) / MIN

  /** `n` nodes that have heard each other at T; `urgent` as the node flushes (32) or not at all (0). */
  function cluster(n: number, urgent: number): WindowCounters[] {
    const ids = Array.from({ length: n }, (_, i) => `node-${i}`)
    const nodes = ids.map((self) => new WindowCounters({ self, gossipDelayMs: 40, urgentFlushWithin: urgent, urgentLagMs: 3 }))
    for (const a of nodes) for (const id of ids) if (id !== a.self) a.peerHeard(id, T)
    return nodes
  }
  /** Delivers every node's pending delta to every other node at `now`, as an urgent flush or a tick would. */
  function gossip(nodes: WindowCounters[], now: number): void {
    const deltas = nodes.map((n) => decodeDelta(encodeDelta(n.takeDelta())))
    nodes.forEach((to, i) => {
      nodes.forEach((from, j) => {
        if (i === j) return
        to.peerHeard(from.self, now)
        to.mergeDelta(from.self, deltas[j]!, now)
      })
    })
  }
  function request(n: WindowCounters, limit: number, now: number): boolean {
    const ok = n.check('k', limit, MIN, now).allowed
    if (ok) n.add('k', MIN, now)
    return ok
  }

  it('split refusals are counted, sent with the count, and merged per node as a G-counter (snapshots too)', () => {
    const [a, b] = cluster(2, 0) as [WindowCounters, WindowCounters]
    // 10/min on 2 nodes: 5 each; a's sixth and seventh requests are split refusals (the key still has budget).
    for (let i = 0; i < 7; i++) request(a, 10, T + 1)
    const delta = a.takeDelta()
    expect(delta).toEqual([['k', MIN, w, 5, 2, 0]])
    b.peerHeard(a.self, T + 2)
    b.mergeDelta(a.self, delta, T + 2)
    b.mergeDelta(a.self, [['k', MIN, w, 5, 1]], T + 2) // an older value changes nothing
    const cell = b.snapshot(T + 2)
    expect(cell).toEqual([['k', MIN, w, [['node-0', 5, 2]]]])
    // A restarted a recovers its refusals with its count from b's snapshot.
    const restarted = new WindowCounters({ self: 'node-0' })
    restarted.mergeSnapshot(decodeState(encodeState(cell)), T + 3)
    expect(restarted.snapshot(T + 3)).toEqual(cell)
  })

  it("a node whose requests were all refused gets a part of the budget (regression: shares by admissions starved it while the busy node's rate decayed)", () => {
    const [busy, idle] = cluster(2, 0) as [WindowCounters, WindowCounters]
    let t = T
    // busy admits 4 of a 10/min limit in quick succession; idle sees it.
    for (let i = 0; i < 4; i++) request(busy, 10, (t += 1))
    gossip([busy, idle], (t += 5))
    // idle's client arrives: refused at first (its share of what is left is small), but its refusals are demand,
    // gossiped, and within a few gossip rounds it admits although busy's admission rate is still far above 0.
    let admitted = 0
    for (let round = 0; round < 10 && admitted === 0; round++) {
      t += 20
      if (request(idle, 10, t)) admitted++
      gossip([busy, idle], t)
    }
    expect(admitted).toBe(1)
  })

  it('near the limit, peers reserve exactly the claim announced with the deltas, and an older announcement never wins', () => {
    const [a, b] = cluster(2, 32) as [WindowCounters, WindowCounters]
    // a's first split of 5/min is cold (nobody has shown demand or announced a part): equal parts, 3 for node-0 and
    // 2 for node-1; a admits one and announces that 2 of its part are left.
    expect(request(a, 5, T + 1)).toBe(true)
    const first = a.takeDelta()
    expect(first).toEqual([['k', MIN, w, 1, 0, 2]])
    b.peerHeard(a.self, T + 2)
    b.mergeDelta(a.self, first, T + 2)
    // b reserves exactly the 2 announced, and may use the 2 units left, one split after another.
    let t = T + 2
    let got = 0
    for (let i = 0; i < 10; i++) {
      t += 4 // more than urgentLagMs between splits
      if (request(b, 5, t)) got++
    }
    expect(got).toBe(2)
    // An announcement overtaken by a newer one (lower count + refusals) is ignored: c keeps believing claim 0, so
    // 3 of 5 are left and c admits (had it believed the claim of 3, nothing would be left for it).
    const c = cluster(2, 32)[1]!
    c.mergeDelta('node-0', [['k', MIN, w, 2, 0, 0]], T + 1)
    c.mergeDelta('node-0', [['k', MIN, w, 1, 0, 3]], T + 1)
    expect(request(c, 5, T + 5)).toBe(true)
    expect(request(c, 5, T + 9)).toBe(true)
  })

  it('a cold burst on every node at once (one event-loop turn, no news) takes the equal parts, 4/3/3, and never more', () => {
    const nodes = cluster(3, 32)
    // Every node gets a burst of 20 requests at the same instant (one turn, no flush in between): each takes its
    // equal part, and does not split again within the turn to take the others' parts one by one.
    const admitted = nodes.map((n) => {
      let ok = 0
      for (let i = 0; i < 20; i++) if (request(n, 10, T + 1)) ok++
      return ok
    })
    expect(admitted).toEqual([4, 3, 3])
    // After the flushes arrive and the lag has passed, they go on and the total never passes the limit.
    let t = T + 1
    let total = 10
    for (let round = 0; round < 20; round++) {
      gossip(nodes, (t += 1))
      t += 4
      for (const n of nodes) for (let i = 0; i < 5; i++) if (request(n, 10, t)) total++
    }
    expect(total).toBe(10)
  })
})
