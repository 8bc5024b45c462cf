// Storage form of a bucket: one msgpack array with positional fields, so no field name is repeated in every
// record (a day of minute buckets is ~1,440 records per node). Layout, version 1:
//   [1, node, start, resolution(0 minute | 1 hour), outcomes[7] (OUTCOMES order), total, bytesIn, bytesOut,
//    latencyTotal, latencyProxy, rules, topLimited, statuses]
//   histogram = [count, sum, min, max, bins]          rules = [id, admitted, limited, id, …]
//   topLimited = [rule, key, count, error, rule, …]   statuses = [code, n, code, …]
// decodeBucket() checks the shape and throws StatsRecordCorruptError rather than handing back garbage.
import { Packr } from 'msgpackr'
import { StatsRecordCorruptError } from './errors.js'
import type { HistogramData } from './histogram.js'
import { OUTCOMES } from './outcome.js'
import { emptyBucket, type StatsBucket } from './stats-bucket.js'

const FORMAT_VERSION = 1
// useRecords off: positional arrays need no msgpackr record structures, and the bytes stay plain msgpack.
const packr = new Packr({ useRecords: false })

export function encodeBucket(b: StatsBucket): Buffer {
  const rules: Array<string | number> = []
  for (const id of Object.keys(b.rules)) {
    const c = b.rules[id]!
    rules.push(id, c.admitted, c.limited)
  }
  const top: Array<string | number> = []
  for (const e of b.topLimited) top.push(e.rule, e.key, e.count, e.error)
  const statuses: number[] = []
  for (const code of Object.keys(b.statuses)) statuses.push(Number(code), b.statuses[Number(code)]!)
  return packr.pack([
    FORMAT_VERSION,
    b.node,
    b.start,
    b.resolution === 'minute' ? 0 : 1,
    OUTCOMES.map((o) => b.outcomes[o]),
    b.total,
    b.bytesIn,
    b.bytesOut,
    encodeHistogram(b.latency.total),
    encodeHistogram(b.latency.proxy),
    rules,
    top,
    statuses,
  ])
}

function encodeHistogram(h: HistogramData): unknown[] {
  return [h.count, h.sum, h.min, h.max, h.bins]
}

export function decodeBucket(bytes: Uint8Array): StatsBucket {
  let raw: unknown
  try {
    raw = packr.unpack(bytes)
  } catch (err) {
    throw new StatsRecordCorruptError(`not msgpack (${(err as Error).message})`)
  }
  if (!Array.isArray(raw) || raw.length !== 13) throw new StatsRecordCorruptError('not a 13-field array')
  if (raw[0] !== FORMAT_VERSION) throw new StatsRecordCorruptError(`unknown format version ${String(raw[0])}`)
  const [, node, start, res, outcomes, total, bytesIn, bytesOut, lt, lp, rules, top, statuses] = raw as unknown[]
  if (typeof node !== 'string') throw new StatsRecordCorruptError('node is not a string')
  const b = emptyBucket(node, num(start, 'start'), res === 0 ? 'minute' : res === 1 ? 'hour' : badResolution(res))
  const outs = arr(outcomes, 'outcomes')
  if (outs.length !== OUTCOMES.length) throw new StatsRecordCorruptError('outcomes has the wrong length')
  OUTCOMES.forEach((o, i) => {
    b.outcomes[o] = num(outs[i], `outcomes.${o}`)
  })
  b.total = num(total, 'total')
  b.bytesIn = num(bytesIn, 'bytesIn')
  b.bytesOut = num(bytesOut, 'bytesOut')
  b.latency.total = decodeHistogram(lt, 'latency.total')
  b.latency.proxy = decodeHistogram(lp, 'latency.proxy')
  const r = arr(rules, 'rules')
  for (let i = 0; i + 2 < r.length; i += 3) {
    b.rules[str(r[i], 'rules.id')] = { admitted: num(r[i + 1], 'rules.admitted'), limited: num(r[i + 2], 'rules.limited') }
  }
  const t = arr(top, 'topLimited')
  for (let i = 0; i + 3 < t.length; i += 4) {
    b.topLimited.push({
      rule: str(t[i], 'topLimited.rule'),
      key: str(t[i + 1], 'topLimited.key'),
      count: num(t[i + 2], 'topLimited.count'),
      error: num(t[i + 3], 'topLimited.error'),
    })
  }
  const s = arr(statuses, 'statuses')
  for (let i = 0; i + 1 < s.length; i += 2) b.statuses[num(s[i], 'statuses.code')] = num(s[i + 1], 'statuses.count')
  return b
}

function decodeHistogram(v: unknown, field: string): HistogramData {
  const h = arr(v, field)
  if (h.length !== 5) throw new StatsRecordCorruptError(`${field} is not a 5-field histogram`)
  const bins = arr(h[4], `${field}.bins`)
  for (const x of bins) num(x, `${field}.bins`)
  return { count: num(h[0], field), sum: num(h[1], field), min: num(h[2], field), max: num(h[3], field), bins: bins as number[] }
}

function num(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new StatsRecordCorruptError(`${field} is not a finite number`)
  return v
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new StatsRecordCorruptError(`${field} is not a string`)
  return v
}

function arr(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) throw new StatsRecordCorruptError(`${field} is not an array`)
  return v
}

function badResolution(v: unknown): never {
  throw new StatsRecordCorruptError(`unknown resolution ${String(v)}`)
}
