// The small computations the reports rest on: medians of rounds, metric sums, the accuracy target, and the gossip
// bytes interpolated at the cluster size needed for 50,000 req/s.
import { describe, expect, it } from 'vitest'
import { sumMetric } from '../lib/admin-client.js'
import { median, medianDefined, medianItem } from '../lib/rounds.js'
import type { ScaleCellResult } from '../lib/scale-cell.js'
import { withinTarget } from '../suites/accuracy.js'
import { bytesAt } from '../suites/scale.js'

describe('medians of rounds', () => {
  it('takes the middle value, the mean of the middle two for an even count', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBeNaN()
    expect(medianDefined([undefined, 5, 1, undefined, 3])).toBe(3)
    expect(medianDefined([undefined])).toBeUndefined()
  })

  it('represents a variant by a real round (the lower median), not an average of two', () => {
    const rounds = [{ rps: 10 }, { rps: 40 }, { rps: 20 }, { rps: 30 }]
    expect(medianItem(rounds, (r) => r.rps)).toBe(rounds[2])
  })
})

describe('sumMetric', () => {
  const text = [
    '# HELP meliproxy_gossip_frames_total Gossip frames',
    '# TYPE meliproxy_gossip_frames_total counter',
    'meliproxy_gossip_frames_total{direction="in"} 120',
    'meliproxy_gossip_frames_total{direction="out"} 80',
    'meliproxy_gossip_frames_total_extra{direction="in"} 999',
    'meliproxy_requests_total{outcome="ok2xx",node="n1"} 5',
    'meliproxy_requests_total{outcome="limited429",node="n1"} 2',
    'meliproxy_ready 1',
  ].join('\n')

  it('sums the samples of one metric whose labels include the given ones', () => {
    expect(sumMetric(text, 'meliproxy_gossip_frames_total', { direction: 'in' })).toBe(120)
    expect(sumMetric(text, 'meliproxy_gossip_frames_total')).toBe(200)
    expect(sumMetric(text, 'meliproxy_requests_total', { node: 'n1' })).toBe(7)
    expect(sumMetric(text, 'meliproxy_ready')).toBe(1)
    expect(sumMetric(text, 'meliproxy_missing')).toBe(0)
  })
})

describe('accuracy target (DESIGN.md)', () => {
  it('allows ±1% of the limit from 1,000 up, and at most one request more than a small limit', () => {
    expect(withinTarget(1000, 1010, 3000)).toBe(true)
    expect(withinTarget(1000, 1011, 3000)).toBe(false)
    expect(withinTarget(1000, 990, 3000)).toBe(true)
    expect(withinTarget(1000, 989, 3000)).toBe(false)
    // Asked for fewer than the limit: all of them is the target.
    expect(withinTarget(1000, 500, 500)).toBe(true)
    expect(withinTarget(10, 11, 1200)).toBe(true)
    expect(withinTarget(10, 12, 1200)).toBe(false)
    expect(withinTarget(10, 8, 1200)).toBe(false)
  })
})

describe('bytesAt', () => {
  const cell = (nodes: number, bytes: number, load: 'uniform' | 'skewed' = 'uniform'): ScaleCellResult =>
    ({ params: { nodes, load }, gossipBytesPerNodePerSec: bytes }) as unknown as ScaleCellResult

  it('reads the uniform-load gossip bytes at a simulated size, and interpolates on log2(nodes) between two', () => {
    const cells = [cell(8, 1000), cell(32, 3000), cell(16, 9999, 'skewed')]
    expect(bytesAt(cells, 8)).toBe(1000)
    expect(bytesAt(cells, 16)).toBe(2000)
    expect(bytesAt(cells, 4)).toBeUndefined()
    expect(bytesAt(cells, 64)).toBeUndefined()
  })
})
