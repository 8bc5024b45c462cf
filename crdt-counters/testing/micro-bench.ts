// ns/op of the hot path: check() + add() for one rule of one request, on a live key.
//
//   npx tsx crdt-counters/testing/micro-bench.ts
//
// Cases: a single node (no peers); a node with 2 and 7 live peers far from the limit (the split's "free" path);
// the same near the limit (the "tight" path, re-split every gossip round as peers' deltas arrive); and, for
// comparison, a tight key with budgetSplit off. Virtual time advances 10 us per request (100k req/s per node); keys are warmed up first.
// Each case runs several rounds; the median is printed. The machine is shared and noisy: compare cases within
// one run, not numbers across runs.
import { WindowCounters } from '../window-counters.js'

const MIN = 60_000
const T0 = Math.ceil(1.7e12 / MIN) * MIN
const ROUNDS = 7
const OPS = 1_000_000

interface Case {
  name: string
  setup: () => { counters: WindowCounters; keys: string[]; limit: number; peers: WindowCounters[]; windowMs?: number }
}

function cluster(peers: number, budgetSplit = true): { counters: WindowCounters; peers: WindowCounters[] } {
  const counters = new WindowCounters({ self: 'node-0-12D3KooWxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', budgetSplit })
  const others = Array.from({ length: peers }, (_, i) => new WindowCounters({ self: `node-${i + 1}-12D3KooWxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` }))
  for (const p of others) counters.peerHeard(p.self, T0)
  return { counters, peers: others }
}

const manyKeys = Array.from({ length: 10_000 }, (_, i) => `ip=10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)

const cases: Case[] = [
  { name: 'single node, 1 hot key', setup: () => ({ ...cluster(0), keys: ['ip=1.2.3.4'], limit: 1e12 }) },
  { name: 'single node, 10k keys round robin', setup: () => ({ ...cluster(0), keys: manyKeys, limit: 1e12 }) },
  { name: '3 nodes, far from limit (free), 1 hot key', setup: () => ({ ...cluster(2), keys: ['ip=1.2.3.4'], limit: 1e12 }) },
  { name: '3 nodes, far from limit (free), 10k keys', setup: () => ({ ...cluster(2), keys: manyKeys, limit: 1e12 }) },
  { name: '8 nodes, far from limit (free), 10k keys', setup: () => ({ ...cluster(7), keys: manyKeys, limit: 1e12 }) },
  // Tight: 100 requests/ms on this node alone use up a 100,000/min limit within the first second; from then on the
  // key sits at its limit (most requests rejected, re-split every gossip round).
  { name: '3 nodes, at the limit (tight), 1 hot key', setup: () => ({ ...cluster(2), keys: ['ip=1.2.3.4'], limit: 100_000 }) },
  { name: '8 nodes, at the limit (tight), 1 hot key', setup: () => ({ ...cluster(7), keys: ['ip=1.2.3.4'], limit: 100_000 }) },
  { name: '3 nodes, at the limit, split off', setup: () => ({ ...cluster(2, false), keys: ['ip=1.2.3.4'], limit: 100_000 }) },
  // Tight and mostly admitting: 1 s windows, 110,000/s limit, 100/ms here plus 20/ms from peers.
  { name: '3 nodes, tight, most requests admitted (1 s window)', setup: () => ({ ...cluster(2), keys: ['ip=1.2.3.4'], limit: 110_000, windowMs: 1000 }) },
]

function runCase(c: Case): { median: number; admittedShare: number } {
  const samples: number[] = []
  let admitted = 0
  let total = 0
  for (let round = 0; round < ROUNDS; round++) {
    const { counters, keys, limit, peers, windowMs = MIN } = c.setup()
    let now = T0 + 1000
    // Warm-up: every key exists and has been checked once; creating keys is not what is measured.
    for (const key of keys) {
      now += 0.01
      if (counters.check(key, limit, windowMs, now).allowed) counters.add(key, windowMs, now)
    }
    let sink = 0
    // Peers admit too (1 per 10 requests here) and their deltas arrive every 20 ms of virtual time, as gossip does.
    let nextGossip = now + 20
    const start = performance.now()
    for (let i = 0; i < OPS; i++) {
      now += 0.01
      const key = keys[i % keys.length]!
      const r = counters.check(key, limit, windowMs, now)
      if (r.allowed) {
        counters.add(key, windowMs, now)
        sink++
      }
      if (now >= nextGossip) {
        nextGossip += 20
        for (const p of peers) {
          p.add(keys[0]!, windowMs, now, 200)
          counters.peerHeard(p.self, now)
          counters.mergeDelta(p.self, p.takeDelta(), now)
        }
      }
    }
    const elapsed = performance.now() - start
    samples.push((elapsed * 1e6) / OPS)
    admitted += sink
    total += OPS
  }
  samples.sort((a, b) => a - b)
  return { median: samples[Math.floor(samples.length / 2)]!, admittedShare: admitted / total }
}

console.log(`check() + add() per request, ${OPS} requests x ${ROUNDS} rounds, median (Node ${process.version})\n`)
console.log('| case | ns/op (check + add) | admitted |')
console.log('|---|---|---|')
for (const c of cases) {
  const { median, admittedShare } = runCase(c)
  console.log(`| ${c.name} | ${median.toFixed(0)} | ${(100 * admittedShare).toFixed(1)}% |`)
}
