import { describe, expect, it } from 'vitest'
import { runBench } from '../cli.js'
import { parseBenchArgs, SUITES, USAGE, type BenchOptions } from '../lib/bench-options.js'

function options(argv: string[]): BenchOptions {
  const parsed = parseBenchArgs(argv)
  if (parsed.help) throw new Error('expected options, got --help')
  return parsed.options
}

function sink(): { stream: NodeJS.WritableStream; text: () => string } {
  const chunks: string[] = []
  return { stream: { write: (s: string) => chunks.push(s) } as unknown as NodeJS.WritableStream, text: () => chunks.join('') }
}

const usage = { code: 'MELIPROXY_ERR_BENCH_USAGE' }

describe('parseBenchArgs', () => {
  it('runs every suite, in the fixed order, when none or "all" is named', () => {
    expect(options([]).suites).toEqual([...SUITES])
    expect(options(['all']).suites).toEqual(['throughput', 'cost', 'gossip', 'accuracy', 'scale'])
    // Named out of order: still run throughput first, since scale uses its measured per-core figure.
    expect(options(['scale', 'throughput', 'scale']).suites).toEqual(['throughput', 'scale'])
  })

  it('gives quick runs short defaults and full runs the documented ones', () => {
    const quick = options(['--quick'])
    expect(quick).toMatchObject({ quick: true, durationSec: 2, rounds: 1, warmupSec: 0, rates: [1000], gossipRates: [1000], gossipDurationSec: 2, accuracyWindowMs: 2000, scaleNodes: [2, 4, 8] })
    const full = options([])
    expect(full).toMatchObject({ quick: false, durationSec: 10, rounds: 3, connections: 100, rates: [1000, 5000], gossipRates: [1000, 5000, 10_000], gossipDurationSec: 25, accuracyWindowMs: 60_000, accuracyWindows: 2, rules: true, stats: true, tool: 'auto', pin: true })
    expect(full.scaleNodes).toEqual([2, 4, 8, 16, 32, 64, 128])
    expect(full.nodes).toBeUndefined()
  })

  it('takes every option the usage lists', () => {
    const o = options(['cost', '--duration', '7', '--rounds', '5', '--connections', '64', '--nodes', '3', '--rules', 'off', '--stats', 'off', '--tool', 'autocannon', '--rate', '2000,8000', '--gossip-rates', '500, 2000', '--scale-nodes', '2,16', '--per-node-rps', '9000', '--config', 'x.yml', '--results', '/tmp/r', '--no-pin'])
    expect(o).toMatchObject({ suites: ['cost'], durationSec: 7, gossipDurationSec: 7, rounds: 5, connections: 64, nodes: 3, rules: false, stats: false, tool: 'autocannon', rates: [2000, 8000], gossipRates: [500, 2000], scaleNodes: [2, 16], perNodeRps: 9000, configFile: 'x.yml', resultsDir: '/tmp/r', pin: false })
  })

  it('refuses unknown suites and options and out-of-range values, naming them', () => {
    expect(() => parseBenchArgs(['speed'])).toThrow(expect.objectContaining({ ...usage, message: expect.stringContaining('"speed"') }))
    expect(() => parseBenchArgs(['--fast'])).toThrow(expect.objectContaining(usage))
    expect(() => parseBenchArgs(['--duration', '0'])).toThrow(expect.objectContaining({ ...usage, message: expect.stringContaining('--duration') }))
    expect(() => parseBenchArgs(['--duration', '1.5'])).toThrow(expect.objectContaining(usage))
    expect(() => parseBenchArgs(['--duration', '3601'])).toThrow(expect.objectContaining(usage))
    expect(() => parseBenchArgs(['--nodes', '65'])).toThrow(expect.objectContaining(usage))
    expect(() => parseBenchArgs(['--rules', 'yes'])).toThrow(expect.objectContaining({ ...usage, message: expect.stringContaining('on or off') }))
    expect(() => parseBenchArgs(['--tool', 'ab'])).toThrow(expect.objectContaining(usage))
    expect(() => parseBenchArgs(['--gossip-rates', '1000,x'])).toThrow(expect.objectContaining(usage))
    expect(() => parseBenchArgs(['--scale-nodes', Array.from({ length: 33 }, () => '2').join(',')])).toThrow(expect.objectContaining({ ...usage, message: expect.stringContaining('more than 32') }))
  })
})

describe('runBench', () => {
  it('prints the usage for --help and exits 0', async () => {
    const out = sink()
    const err = sink()
    expect(await runBench(['--help'], { stdout: out.stream, stderr: err.stream })).toBe(0)
    expect(out.text()).toBe(USAGE)
    expect(out.text()).toContain('--quick')
  })

  it('exits 2 with the reason and the usage on a bad command line, before starting anything', async () => {
    const out = sink()
    const err = sink()
    expect(await runBench(['throughput', '--rounds', 'many'], { stdout: out.stream, stderr: err.stream })).toBe(2)
    expect(err.text()).toContain('--rounds: "many" is not an integer')
    expect(err.text()).toContain('usage: meliproxy bench')
    expect(out.text()).toBe('')
  })

  it('exits 2 naming the file when the bench config cannot be read', async () => {
    const err = sink()
    expect(await runBench(['scale', '--config', '/nonexistent/bench.yml'], { stdout: sink().stream, stderr: err.stream })).toBe(2)
    expect(err.text()).toContain('/nonexistent/bench.yml: cannot be read (ENOENT)')
  })
})
