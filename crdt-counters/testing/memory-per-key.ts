// Bytes of heap per live key in WindowCounters.
//
//   node --expose-gc --import tsx crdt-counters/testing/memory-per-key.ts
//
// Creates 100k keys (each checked and added once, as the hot path does), with a full GC before and after, and
// prints (heapUsed after - heapUsed before) / 100k. Cases: a single node; a node of a 3-node and of an 8-node
// cluster where every peer has counted on every key (one slot per node per cell, rates allocated). The key
// strings ("ip=10.x.y.z", 12-14 chars) are built before the first measurement, so their own ~32 bytes are not
// counted: in the proxy the key string is held by the counters too, add that.
import { WindowCounters } from '../window-counters.js'

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) {
  console.error('run with: node --expose-gc --import tsx crdt-counters/testing/memory-per-key.ts')
  process.exit(2)
}
const collect = gc

const N = 100_000
const MIN = 60_000
const T0 = Math.ceil(1.7e12 / MIN) * MIN
const keys = Array.from({ length: N }, (_, i) => `ip=10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)

function heap(): number {
  collect()
  collect()
  return process.memoryUsage().heapUsed
}

function measure(name: string, peers: number): void {
  const peerIds = Array.from({ length: peers }, (_, i) => `12D3KooW${String(i).padStart(44, 'x')}`)
  const before = heap()
  const c = new WindowCounters({ self: '12D3KooWselfxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', maxKeys: 2 * N })
  for (const p of peerIds) c.peerHeard(p, T0)
  let now = T0 + 10
  for (const k of keys) {
    now += 0.01
    if (c.check(k, 1_000_000, MIN, now).allowed) c.add(k, MIN, now)
  }
  for (const p of peerIds) {
    c.mergeDelta(p, keys.map((k) => [k, MIN, Math.floor(now / MIN), 3] as [string, number, number, number]), now)
  }
  // Gossip drains the set of changed cells every interval; measure the steady state, not the backlog.
  c.takeDelta()
  const after = heap()
  console.log(`| ${name} | ${c.size} | ${((after - before) / N).toFixed(0)} |`)
  // Keep `c` alive until after the measurement.
  if (c.size !== N) throw new Error('unexpected size')
}

console.log(`Heap per live key (${N} keys, Node ${process.version})\n`)
console.log('| case | keys | bytes per key |')
console.log('|---|---|---|')
measure('single node (no peers)', 0)
measure('3-node cluster, every peer counted on every key', 2)
measure('8-node cluster, every peer counted on every key', 7)
