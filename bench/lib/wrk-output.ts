// Parses what wrk 4 prints. Two sources, both read when present:
// - the standard summary (with --latency): "Requests/sec:", "Latency Distribution", "Socket errors:",
//   "Non-2xx or 3xx responses:" — human units (1.30ms, 43.93k, 652.72MB);
// - the line our Lua `done()` writes (WRK_JSON_MARKER + JSON, see wrk-script.ts): exact counts and
//   p50/p90/p99/p99.9 in microseconds, and per-status counts when the script recorded them.
// The JSON line is preferred; the summary is the fallback (and a cross-check in tests).
import { WrkOutputError } from './errors.js'

export const WRK_JSON_MARKER = 'MELIPROXY_WRK_JSON '

export interface WrkSummary {
  /** Completed requests. */
  requests: number
  durationSec: number
  bytesRead: number
  requestsPerSec: number
  bytesPerSec: number
  latencyMs: { mean: number; stdev: number; max: number; p50?: number; p75?: number; p90?: number; p99?: number }
  socketErrors: { connect: number; read: number; write: number; timeout: number }
  /** wrk's "Non-2xx or 3xx responses" (status ≥ 400). */
  non2xx3xx: number
}

export interface WrkJsonLine {
  duration_us: number
  requests: number
  bytes: number
  errors: { connect: number; read: number; write: number; status: number; timeout: number }
  latency_us: { min: number; max: number; mean: number; stdev: number; p50: number; p90: number; p99: number; p999: number }
  /** Present when the script counted statuses (it then defines response(), which costs wrk throughput). */
  statuses?: Record<string, number>
}

export interface WrkParsed {
  summary: WrkSummary
  json?: WrkJsonLine
}

const TIME_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const BINARY_UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }
const METRIC_UNITS: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9 }

function timeMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text)
  if (!m) throw new WrkOutputError(`not a wrk duration: ${JSON.stringify(text)}`)
  return Number(m[1]) * TIME_UNITS_MS[m[2]!]!
}

function bytes(text: string): number {
  const m = /^([\d.]+)(B|KB|MB|GB|TB)$/.exec(text)
  if (!m) throw new WrkOutputError(`not a wrk byte size: ${JSON.stringify(text)}`)
  return Number(m[1]) * BINARY_UNITS[m[2]!]!
}

export function metric(text: string): number {
  const m = /^([\d.]+)([kMG]?)$/.exec(text)
  if (!m) throw new WrkOutputError(`not a wrk count: ${JSON.stringify(text)}`)
  return Number(m[1]) * METRIC_UNITS[m[2]!]!
}

const LATENCY_ROW = /^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)\s+\S+%\s*$/m
const DISTRIBUTION_ROW = /^\s*(50|75|90|99)(?:\.000)?%\s+(\S+)\s*$/gm
const TOTALS = /^\s*(\d+) requests in (\S+), (\S+) read\s*$/m
const SOCKET_ERRORS = /^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)\s*$/m
const NON_2XX = /^\s*Non-2xx or 3xx responses: (\d+)\s*$/m
const RPS = /^Requests\/sec:\s+([\d.]+)\s*$/m
const TRANSFER = /^Transfer\/sec:\s+(\S+)\s*$/m

/** Parses wrk's stdout. Throws WrkOutputError when the summary lines of a finished run are missing. */
export function parseWrkOutput(stdout: string): WrkParsed {
  const totals = TOTALS.exec(stdout)
  const rps = RPS.exec(stdout)
  const transfer = TRANSFER.exec(stdout)
  const latency = LATENCY_ROW.exec(stdout)
  if (!totals || !rps || !transfer || !latency) {
    throw new WrkOutputError(`wrk output lacks its summary (requests, Requests/sec, Transfer/sec, Latency): ${JSON.stringify(stdout.slice(-400))}`)
  }
  const latencyMs: WrkSummary['latencyMs'] = { mean: timeMs(latency[1]!), stdev: timeMs(latency[2]!), max: timeMs(latency[3]!) }
  for (const m of stdout.matchAll(DISTRIBUTION_ROW)) {
    const key = `p${m[1]}` as 'p50' | 'p75' | 'p90' | 'p99'
    latencyMs[key] = timeMs(m[2]!)
  }
  const errors = SOCKET_ERRORS.exec(stdout)
  const non2xx = NON_2XX.exec(stdout)
  const summary: WrkSummary = {
    requests: Number(totals[1]),
    durationSec: timeMs(totals[2]!) / 1000,
    bytesRead: bytes(totals[3]!),
    requestsPerSec: Number(rps[1]),
    bytesPerSec: bytes(transfer[1]!),
    latencyMs,
    socketErrors: errors ? { connect: Number(errors[1]), read: Number(errors[2]), write: Number(errors[3]), timeout: Number(errors[4]) } : { connect: 0, read: 0, write: 0, timeout: 0 },
    non2xx3xx: non2xx ? Number(non2xx[1]) : 0,
  }
  const parsed: WrkParsed = { summary }
  const jsonLine = stdout.split('\n').find((line) => line.startsWith(WRK_JSON_MARKER))
  if (jsonLine !== undefined) {
    try {
      parsed.json = JSON.parse(jsonLine.slice(WRK_JSON_MARKER.length)) as WrkJsonLine
    } catch (err) {
      throw new WrkOutputError(`wrk script line is not JSON (${(err as Error).message}): ${jsonLine.slice(0, 200)}`)
    }
  }
  return parsed
}
