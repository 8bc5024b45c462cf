// The upstream client settings in cluster.yml: defaults, bounds, and the error an operator reads.
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../config/errors.js'
import { parseConfigText } from '../../config/load-config.js'

const config = (upstreamExtra: string): string => `cluster: { name: meli }
upstream: { url: https://api.mercadolibre.com${upstreamExtra} }
nodes:
  - { id: n1, http: 127.0.0.1:8080, admin: 127.0.0.1:7070, p2p: 127.0.0.1:7946, dataDir: ./data/n1 }
`

function problemsOf(text: string): string[] {
  try {
    parseConfigText(text, '/etc/meliproxy/cluster.yml', {})
  } catch (err) {
    expect((err as ConfigError).code).toBe('MELIPROXY_ERR_CONFIG')
    return (err as ConfigError).problems
  }
  throw new Error('expected a ConfigError')
}

describe('upstream.client, upstream.pipelining, upstream.fastConnections', () => {
  it('default to the fast client, pipelining 4, 8 connections', () => {
    const { upstream } = parseConfigText(config(''), '/etc/meliproxy/cluster.yml', {})
    expect(upstream).toMatchObject({ client: 'fast', pipelining: 4, fastConnections: 8 })
  })

  it('accept undici, pipelining 1 (no pipelining) to 16, and 1 to 1024 connections', () => {
    const { upstream } = parseConfigText(config(', client: undici, pipelining: 1, fastConnections: 1024'), '/etc/meliproxy/cluster.yml', {})
    expect(upstream).toMatchObject({ client: 'undici', pipelining: 1, fastConnections: 1024 })
    expect(parseConfigText(config(', pipelining: 16'), '/x/cluster.yml', {}).upstream.pipelining).toBe(16)
  })

  it.each([
    [', client: nginx', 'upstream.client: "nginx" is not "fast" or "undici"'],
    [', pipelining: 0', 'upstream.pipelining: 0 is not an integer between 1 and 16'],
    [', pipelining: 17', 'upstream.pipelining: 17 is not an integer between 1 and 16'],
    [', pipelining: 2.5', 'upstream.pipelining: 2.5 is not an integer between 1 and 16'],
    [', fastConnections: 0', 'upstream.fastConnections: 0 is not an integer between 1 and 1024'],
    [', fastConnections: 1025', 'upstream.fastConnections: 1025 is not an integer between 1 and 1024'],
  ])('rejects%s', (extra, problem) => {
    expect(problemsOf(config(extra))).toEqual([problem])
  })
})
