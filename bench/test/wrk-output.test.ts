import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { metric, parseWrkOutput } from '../lib/wrk-output.js'
import { wrkResult } from '../lib/wrk-runner.js'

// Real output of Debian's wrk 4.1.0 against node/origin, captured with the script from wrk-script.ts.
const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')

describe('parseWrkOutput', () => {
  it('reads the summary and the script line of a run that counted statuses', () => {
    const { summary, json } = parseWrkOutput(fixture('wrk-4.1.0-multi-statuses.txt'))
    expect(summary.requests).toBe(33372)
    expect(summary.durationSec).toBeCloseTo(3.05, 5)
    expect(summary.bytesRead).toBeCloseTo(47.91 * 1024 * 1024, 0)
    expect(summary.requestsPerSec).toBe(10947.7)
    expect(summary.bytesPerSec).toBeCloseTo(15.72 * 1024 * 1024, 0)
    expect(summary.latencyMs).toEqual({ mean: 8.75, stdev: 16.08, max: 123.08, p50: 2.85, p75: 8.13, p90: 24.13, p99: 86.5 })
    expect(summary.non2xx3xx).toBe(16686)
    expect(summary.socketErrors).toEqual({ connect: 0, read: 0, write: 0, timeout: 0 })
    expect(json?.requests).toBe(33372)
    expect(json?.statuses).toEqual({ '429': 8343, '200': 16686, '404': 8343 })
    expect(json?.latency_us.p999).toBe(123048)
  })

  it('reads microsecond latencies, several threads, and a script line without statuses', () => {
    const { summary, json } = parseWrkOutput(fixture('wrk-4.1.0-plain.txt'))
    expect(summary.latencyMs.p50).toBeCloseTo(0.49, 6)
    expect(summary.requests).toBe(53401)
    expect(summary.non2xx3xx).toBe(0)
    expect(json?.statuses).toBeUndefined()
    expect(json?.errors.status).toBe(0)
  })

  it('reads socket errors and timeouts', () => {
    const { summary, json } = parseWrkOutput(fixture('wrk-4.1.0-timeouts.txt'))
    expect(summary.socketErrors).toEqual({ connect: 0, read: 0, write: 0, timeout: 10 })
    expect(summary.bytesRead).toBeCloseTo(63.15 * 1024, 0)
    expect(summary.requestsPerSec).toBe(9.94)
    expect(json?.errors.timeout).toBe(10)
  })

  it('maps to a LoadResult from the exact script numbers, and from the summary alone', () => {
    const opts = { label: 'x', urls: ['http://127.0.0.1:1/a'], connections: 50, threads: 1 }
    const text = fixture('wrk-4.1.0-multi-statuses.txt')
    const r = wrkResult(opts, parseWrkOutput(text))
    expect(r.requests).toBe(33372)
    expect(r.requestsPerSec).toBeCloseTo(33372 / 3.048312, 6)
    expect(r.latencyMs).toMatchObject({ p50: 2.845, p90: 24.128, p99: 86.497, p999: 123.048 })
    expect(r.non2xx).toBe(16686)
    expect(r.statusCounts).toEqual({ '429': 8343, '200': 16686, '404': 8343 })

    const withoutScript = text.split('\n').filter((l) => !l.startsWith('MELIPROXY_WRK_JSON')).join('\n')
    const t = wrkResult(opts, parseWrkOutput(withoutScript))
    expect(t.requestsPerSec).toBe(10947.7)
    expect(t.latencyMs).toMatchObject({ p50: 2.85, p90: 24.13, p99: 86.5, p999: 123.08 })
    expect(t.statusCounts).toBeUndefined()
    const timeouts = wrkResult(opts, parseWrkOutput(fixture('wrk-4.1.0-timeouts.txt').split('\n').filter((l) => !l.startsWith('MELIPROXY')).join('\n')))
    expect(timeouts).toMatchObject({ errors: 10, timeouts: 10 })
  })

  it('refuses output without a summary (wrk could not connect) with a stable code', () => {
    expect(() => parseWrkOutput('unable to connect to 127.0.0.1:9199 Connection refused\n')).toThrow(expect.objectContaining({ code: 'MELIPROXY_ERR_BENCH_WRK_OUTPUT' }))
    const broken = `${fixture('wrk-4.1.0-plain.txt')}MELIPROXY_WRK_JSON {not json\n`.replace(/MELIPROXY_WRK_JSON \{"duration.*\n/, '')
    expect(() => parseWrkOutput(broken)).toThrow(expect.objectContaining({ code: 'MELIPROXY_ERR_BENCH_WRK_OUTPUT' }))
  })

  it('reads wrk counts with metric suffixes', () => {
    expect(metric('43.93k')).toBeCloseTo(43930, 6)
    expect(metric('1.20M')).toBeCloseTo(1.2e6, 6)
    expect(metric('950.00')).toBe(950)
  })
})
