// Our fixed log-linear histogram (histogram.ts) against hdr-histogram-js, the library a user would reach for:
// cost per recorded value (the hot path), percentile extraction, merge, stored size, and accuracy.
// Run: npx tsx node/stats/bench-histogram.ts        Prints a table and one JSON line.
import * as hdr from 'hdr-histogram-js'
import { pack } from 'msgpackr'
import { HistogramRecorder, mergeHistogram, percentile, type HistogramData } from './histogram.js'

const N = 2_000_000
const ROUNDS = 7
const SAMPLES = 1 << 16

// Log-normal latencies around ~2 ms (seeded), like a minute of proxied requests.
let seed = 12345
function random(): number {
  seed = (seed + 0x6d2b79f5) >>> 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const values = new Float64Array(SAMPLES)
for (let i = 0; i < SAMPLES; i++) {
  const z = Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random())
  values[i] = Math.min(60_000_000, Math.round(Math.exp(7.6 + 1.8 * z)))
}
const sorted = Array.from(values).sort((a, b) => a - b)
const exactAt = (q: number): number => sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]!
}

function nsPerOp(ops: number, fn: () => void): number {
  fn()
  const runs: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint()
    fn()
    runs.push(Number(process.hrtime.bigint() - t0) / ops)
  }
  return median(runs)
}

interface Candidate {
  name: string
  record(): number
  percentiles(): number
  merge(): number
  storedBytes: number
  maxRelError: number
}

const QS = [0.5, 0.9, 0.99, 0.999]

function ours(): Candidate {
  const h = new HistogramRecorder()
  const record = nsPerOp(N, () => {
    for (let i = 0; i < N; i++) h.record(values[i & (SAMPLES - 1)]!)
  })
  const one = new HistogramRecorder()
  for (const v of values) one.record(v)
  const data: HistogramData = one.toData()
  let maxRelError = 0
  for (const q of QS) maxRelError = Math.max(maxRelError, Math.abs(percentile(data, q) - exactAt(q)) / exactAt(q))
  return {
    name: 'ours (log-linear, 32 sub-buckets/octave)',
    record: () => record,
    percentiles: () =>
      nsPerOp(1000, () => {
        for (let i = 0; i < 1000; i++) for (const q of QS) percentile(data, q)
      }),
    merge: () =>
      nsPerOp(1000, () => {
        for (let i = 0; i < 1000; i++) mergeHistogram(data, data)
      }),
    storedBytes: pack([data.count, data.sum, data.min, data.max, data.bins]).length,
    maxRelError,
  }
}

function hdrCandidate(name: string, req: hdr.BuildRequest): Candidate {
  const h = hdr.build(req)
  const record = nsPerOp(N, () => {
    for (let i = 0; i < N; i++) h.recordValue(values[i & (SAMPLES - 1)]!)
  })
  const one = hdr.build(req)
  for (const v of values) one.recordValue(v)
  let maxRelError = 0
  for (const q of QS) maxRelError = Math.max(maxRelError, Math.abs(one.getValueAtPercentile(q * 100) - exactAt(q)) / exactAt(q))
  const other = hdr.build(req)
  other.add(one)
  const c: Candidate = {
    name,
    record: () => record,
    percentiles: () =>
      nsPerOp(1000, () => {
        for (let i = 0; i < 1000; i++) for (const q of QS) one.getValueAtPercentile(q * 100)
      }),
    merge: () =>
      nsPerOp(1000, () => {
        for (let i = 0; i < 1000; i++) {
          const m = hdr.build(req)
          m.add(one)
          m.add(other)
          m.destroy()
        }
      }),
    storedBytes: Buffer.from(hdr.encodeIntoCompressedBase64(one), 'base64').length,
    maxRelError,
  }
  return c
}

await hdr.initWebAssembly()
const base = { lowestDiscernibleValue: 1, highestTrackableValue: 2 ** 26, autoResize: false } as const
const candidates = [
  ours(),
  hdrCandidate('hdr-histogram-js JS, 2 digits, 32-bit', { ...base, numberOfSignificantValueDigits: 2, bitBucketSize: 32 }),
  hdrCandidate('hdr-histogram-js JS, 1 digit, 32-bit', { ...base, numberOfSignificantValueDigits: 1, bitBucketSize: 32 }),
  hdrCandidate('hdr-histogram-js JS, 2 digits, packed', { ...base, numberOfSignificantValueDigits: 2, bitBucketSize: 'packed' }),
  hdrCandidate('hdr-histogram-js WASM, 2 digits, 32-bit', { ...base, numberOfSignificantValueDigits: 2, bitBucketSize: 32, useWebAssembly: true }),
]

const rows = candidates.map((c) => ({
  name: c.name,
  recordNs: c.record(),
  percentilesNs: c.percentiles(),
  mergeNs: c.merge(),
  storedBytes: c.storedBytes,
  maxRelErrorPct: c.maxRelError * 100,
}))
const ref = rows[0]!
console.log(`${SAMPLES.toLocaleString('en')} log-normal samples; record = ns per value (median of ${ROUNDS} × ${N.toLocaleString('en')})`)
console.log('candidate'.padEnd(44), 'record ns', ' ×ours', '4 pctl ns', 'merge ns', 'stored B', 'max err %')
for (const r of rows) {
  console.log(
    r.name.padEnd(44),
    r.recordNs.toFixed(1).padStart(9),
    (r.recordNs / ref.recordNs).toFixed(2).padStart(6),
    r.percentilesNs.toFixed(0).padStart(9),
    r.mergeNs.toFixed(0).padStart(8),
    String(r.storedBytes).padStart(8),
    r.maxRelErrorPct.toFixed(2).padStart(9),
  )
}
console.log(JSON.stringify({ bench: 'histogram', node: process.version, samples: SAMPLES, rows }))
