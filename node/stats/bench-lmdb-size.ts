// LMDB bytes per node per day at a steady request rate: drives a real NodeStats through simulated time (an
// injected clock), with realistic per-request calls (record + 2 rule decisions; 5 % of requests limited, their
// keys drawn from a skewed population), flushing as the 1 s timer would, and closing every minute into its hour.
// Then reports the LMDB file size and the encoded bucket sizes.
// Run: npx tsx node/stats/bench-lmdb-size.ts [--rate 1000] [--hours 24] [--rules 20] [--flush-every 1]
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { encodeBucket } from './bucket-codec.js'
import { NodeStats } from './node-stats.js'
import type { Outcome } from './outcome.js'
import { HOUR_MS, MINUTE_MS } from './stats-bucket.js'
import { StatsStore } from './stats-store.js'

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    hours: { type: 'string', default: '24' },
    rules: { type: 'string', default: '20' },
    'flush-every': { type: 'string', default: '1' },
  },
})
const RATE = Number(args.rate)
const HOURS = Number(args.hours)
const RULES = Number(args.rules)
const FLUSH_EVERY_S = Number(args['flush-every'])

let seed = 99
function random(): number {
  seed = (seed + 0x6d2b79f5) >>> 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

// Input pools, cycled with a per-second offset.
const POOL = 1 << 16
const totals = new Float64Array(POOL)
const upstreams = new Float64Array(POOL)
const outcomeOf: Outcome[] = []
const statusOf = new Int32Array(POOL)
for (let i = 0; i < POOL; i++) {
  const z = Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random())
  const total = Math.round(Math.exp(11.5 + 0.9 * z)) // ~100 ms median upstream round trip, long tail
  const r = random()
  const o: Outcome = r < 0.05 ? 'limited429' : r < 0.9 ? 'ok2xx' : r < 0.93 ? 'redirect3xx' : r < 0.97 ? 'notFound404' : r < 0.985 ? 'clientError4xx' : r < 0.995 ? 'serverError5xx' : 'upstreamError'
  outcomeOf.push(o)
  statusOf[i] = { ok2xx: 200, redirect3xx: 301, limited429: 429, notFound404: 404, clientError4xx: 400, serverError5xx: 503, upstreamError: 502 }[o]
  totals[i] = o === 'limited429' ? 20 + Math.round(random() * 60) : total
  upstreams[i] = o === 'limited429' ? 0 : Math.max(0, total - Math.round(150 + random() * 400))
}
// Limited keys: 20,000 client addresses with Zipf(1.1) weights (a few abusers, a long tail).
const KEYS = 20_000
const keyNames = Array.from({ length: KEYS }, (_, i) => `ip=${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.${(i * 7) & 255}`)
const cdf = new Float64Array(KEYS)
let acc = 0
for (let k = 0; k < KEYS; k++) cdf[k] = acc += 1 / (k + 1) ** 1.1
const drawKey = (): string => {
  const u = random() * acc
  let lo = 0
  let hi = KEYS - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (cdf[mid]! < u) lo = mid + 1
    else hi = mid
  }
  return keyNames[lo]!
}
const ipRules = Array.from({ length: RULES / 2 }, (_, i) => `ip-rule-${i}`)
const pathRules = Array.from({ length: RULES - RULES / 2 }, (_, i) => `path-rule-${i}`)

const dir = mkdtempSync(join(tmpdir(), 'meliproxy-bench-lmdb-'))
const start = Date.UTC(2026, 2, 10, 0, 0, 0)
let now = start
const stats = await NodeStats.open({
  nodeId: '12D3KooWBenchNodeIdentityxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  nodeName: 'n1',
  dataDir: dir,
  retention: { minutesMs: 48 * HOUR_MS, hoursMs: 7 * 24 * HOUR_MS },
  flushIntervalMs: 60_000, // this script flushes itself, on simulated time
  logger: { info() {}, warn() {}, error() {} },
  now: () => now,
})

const t0 = Date.now()
let p = 0
for (let second = 0; second < HOURS * 3600; second++) {
  now = start + second * 1000
  for (let i = 0; i < RATE; i++) {
    const j = p++ & (POOL - 1)
    const o = outcomeOf[j]!
    stats.record(o, statusOf[j]!, 350, o === 'limited429' ? 120 : 1400, totals[j]!, upstreams[j]!)
    const ipRule = ipRules[j % ipRules.length]!
    const pathRule = pathRules[(j >> 3) % pathRules.length]!
    if (o === 'limited429') {
      const rule = (j & 1) === 0 ? ipRule : pathRule
      stats.recordRule(rule, false)
      stats.recordLimitedKey(rule, drawKey())
    } else {
      stats.recordRule(ipRule, true)
      stats.recordRule(pathRule, true)
    }
  }
  if ((second + 1) % FLUSH_EVERY_S === 0) await stats.flush()
}
now = start + HOURS * HOUR_MS
await stats.flush() // closes the last minute
const elapsedS = (Date.now() - t0) / 1000
const minutes = await stats.query({ from: start, to: now, resolution: 'minute' })
const hours = await stats.query({ from: start, to: now, resolution: 'hour' })
await stats.close()

const file = statSync(join(StatsStore.pathOf(dir), 'data.mdb'))
const minuteBytes = minutes.map((b) => encodeBucket(b).length)
const hourBytes = hours.map((b) => encodeBucket(b).length)
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)
const avg = (xs: number[]): number => (xs.length === 0 ? 0 : sum(xs) / xs.length)
const result = {
  bench: 'stats-lmdb-size',
  ratePerSecond: RATE,
  simulatedHours: HOURS,
  rules: RULES,
  flushEverySeconds: FLUSH_EVERY_S,
  requests: p,
  minuteBuckets: minutes.length,
  hourBuckets: hours.length,
  totalInBuckets: sum(minutes.map((b) => b.total)),
  avgMinuteBucketBytes: Math.round(avg(minuteBytes)),
  avgHourBucketBytes: Math.round(avg(hourBytes)),
  encodedBytes: sum(minuteBytes) + sum(hourBytes),
  dataMdbBytes: file.size,
  dataMdbAllocatedBytes: file.blocks * 512,
  topLimitedPerMinute: Math.round(avg(minutes.map((b) => b.topLimited.length))),
  histogramBinsPerMinute: Math.round(avg(minutes.map((b) => b.latency.total.bins.length / 2 + b.latency.proxy.bins.length / 2))),
  wallSeconds: Math.round(elapsedS),
}
rmSync(dir, { recursive: true, force: true })
console.log(
  `${HOURS} h at ${RATE} req/s (${p.toLocaleString('en')} requests, ${RULES} rules, flush every ${FLUSH_EVERY_S} s): ` +
    `${minutes.length} minute + ${hours.length} hour buckets; avg minute bucket ${result.avgMinuteBucketBytes} B, hour ${result.avgHourBucketBytes} B; ` +
    `encoded ${(result.encodedBytes / 1e6).toFixed(2)} MB; data.mdb ${(file.size / 1e6).toFixed(2)} MB (allocated ${(result.dataMdbAllocatedBytes / 1e6).toFixed(2)} MB); ${result.wallSeconds} s wall`,
)
console.log(JSON.stringify(result))
if (result.totalInBuckets !== p) {
  console.error(`count mismatch: ${result.totalInBuckets} in buckets, ${p} recorded`)
  process.exitCode = 1
}
