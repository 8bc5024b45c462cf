// Builds buckets from known samples through the same accumulator the hot path uses.
import { MinuteAccumulator } from '../minute-accumulator.js'
import type { Outcome } from '../outcome.js'
import type { StatsBucket } from '../stats-bucket.js'

export interface Sample {
  outcome: Outcome
  status: number
  bytesIn: number
  bytesOut: number
  totalMicros: number
  upstreamMicros: number
}

export function bucketOf(node: string, start: number, samples: Sample[], rules: Array<[string, boolean]> = [], limited: Array<[string, string]> = []): StatsBucket {
  const acc = new MinuteAccumulator(start, 100)
  for (const s of samples) acc.record(s.outcome, s.status, s.bytesIn, s.bytesOut, s.totalMicros, s.upstreamMicros)
  for (const [r, a] of rules) acc.recordRule(r, a)
  for (const [r, k] of limited) acc.recordLimitedKey(r, k)
  return acc.toBucket(node)
}

export const s = (outcome: Outcome, status: number, totalMicros: number, upstreamMicros: number, bytesIn = 100, bytesOut = 1000): Sample => ({
  outcome,
  status,
  bytesIn,
  bytesOut,
  totalMicros,
  upstreamMicros,
})
