import { describe, expect, it } from 'vitest'
import { MAX_TOP_KEY_CHARS, mergeTopLimited, SpaceSaving } from '../space-saving.js'

function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Zipf(s) sampler over ranks 1..n by inverse CDF. */
function zipf(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n)
  let sum = 0
  for (let k = 1; k <= n; k++) {
    sum += 1 / k ** s
    cdf[k - 1] = sum
  }
  return () => {
    const u = random() * sum
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cdf[mid]! < u) lo = mid + 1
      else hi = mid
    }
    return lo + 1
  }
}

describe('SpaceSaving heavy hitters', () => {
  it('keeps the true top keys of a skewed stream, with counts bracketing the truth', () => {
    const seed = 7
    const next = zipf(20_000, 1.1, rng(seed))
    const ss = new SpaceSaving(100)
    const truth = new Map<string, number>()
    const N = 200_000
    for (let i = 0; i < N; i++) {
      const rank = next()
      // two rules share the stream: the pair, not the key alone, is what is counted
      const rule = rank % 2 === 0 ? 'per-ip' : 'per-path'
      const key = `ip=10.0.${rank >> 8}.${rank & 255}`
      ss.offer(rule, key)
      const id = `${rule} ${key}`
      truth.set(id, (truth.get(id) ?? 0) + 1)
    }
    const trueTop = [...truth.entries()].sort((a, b) => b[1] - a[1])
    const top = ss.top()
    expect(top.length).toBe(100)
    const reported = new Map(top.map((e) => [`${e.rule} ${e.key}`, e]))
    // Every pair above N/capacity is guaranteed to be monitored; check the true top 10 rank first too.
    for (const [id, count] of trueTop) {
      if (count <= N / 100) break
      const e = reported.get(id)
      expect(e, `${id} (true count ${count}, seed ${seed})`).toBeDefined()
      expect(e!.count).toBeGreaterThanOrEqual(count)
      expect(e!.count - e!.error).toBeLessThanOrEqual(count)
    }
    expect(top.slice(0, 10).map((e) => `${e.rule} ${e.key}`)).toEqual(trueTop.slice(0, 10).map(([id]) => id))
    for (let i = 1; i < top.length; i++) expect(top[i - 1]!.count).toBeGreaterThanOrEqual(top[i]!.count)
  })

  it('stays within capacity under a flood of distinct keys', () => {
    const ss = new SpaceSaving(50)
    for (let i = 0; i < 100_000; i++) ss.offer(`r${i % 7}`, `key-${i}`)
    expect(ss.size).toBe(50)
    expect(ss.top().length).toBe(50)
    const total = ss.top().reduce((a, e) => a + e.count, 0)
    expect(total).toBe(100_000) // Space-Saving conserves the stream length across its counters
  })

  it('cuts keys and rule ids longer than the limit', () => {
    const ss = new SpaceSaving(10)
    const long = 'x'.repeat(10_000)
    ss.offer(long, `${long}a`)
    ss.offer(long, `${long}b`)
    const [e] = ss.top()
    expect(e!.rule.length).toBe(MAX_TOP_KEY_CHARS)
    expect(e!.key.length).toBe(MAX_TOP_KEY_CHARS)
    expect(e!.count).toBe(2)
  })

  it('merges summaries by summing pairs and keeping the top k', () => {
    const a = [
      { rule: 'r', key: 'a', count: 10, error: 0 },
      { rule: 'r', key: 'b', count: 5, error: 1 },
    ]
    const b = [
      { rule: 'r', key: 'b', count: 7, error: 2 },
      { rule: 'q', key: 'a', count: 6, error: 0 },
      { rule: 'r', key: 'c', count: 1, error: 0 },
    ]
    expect(mergeTopLimited([a, b], 3)).toEqual([
      { rule: 'r', key: 'b', count: 12, error: 3 },
      { rule: 'r', key: 'a', count: 10, error: 0 },
      { rule: 'q', key: 'a', count: 6, error: 0 },
    ])
    expect(a[1]!.count).toBe(5) // inputs unchanged
  })

  it('does nothing with capacity 0', () => {
    const ss = new SpaceSaving(0)
    ss.offer('r', 'k')
    expect(ss.top()).toEqual([])
  })
})
