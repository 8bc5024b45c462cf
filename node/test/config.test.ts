// cluster.yml as an operator writes it: every mistake is named by its field path, its value and what is allowed.
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../config/errors.js'
import { parseConfigText } from '../config/load-config.js'

const NODES = `nodes:
  - { id: n1, http: 127.0.0.1:8080, admin: 127.0.0.1:7070, p2p: 127.0.0.1:7946, dataDir: ./data/n1 }
`
const VALID = `cluster: { name: meli, gossip: { intervalMs: 20 } }
upstream: { url: https://api.mercadolibre.com, connections: 64, timeoutMs: 10000 }
${NODES}`

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(text, '/etc/meliproxy/cluster.yml', env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).code).toBe('MELIPROXY_ERR_CONFIG')
    return (err as ConfigError).problems
  }
  throw new Error('expected a ConfigError')
}

describe('cluster.yml validation', () => {
  it('accepts the documented shape and fills every default', () => {
    const config = parseConfigText(VALID, '/etc/meliproxy/cluster.yml', {})
    expect(config.cluster.gossip).toEqual({ intervalMs: 20, suspectAfterMs: 1000, syncTimeoutMs: 3000, maxFrameBytes: 4194304, batchSize: 2000 })
    expect(config.upstream.connectTimeoutMs).toBe(3000)
    expect(config.stats.retention).toBe(7 * 86_400_000)
    expect(config.nodes[0]!.http).toEqual({ host: '127.0.0.1', port: 8080 })
    expect(config.nodes[0]!.dataDir).toBe('/etc/meliproxy/data/n1') // relative to the file, not the working directory
    expect(config.rules).toEqual([])
    expect(config.admin.openReads).toBe(false)
  })

  it.each([
    ['a bad port', VALID.replace('127.0.0.1:8080', '127.0.0.1:99999'), 'nodes[0].http: "127.0.0.1:99999" is not a "host:port" address with a port from 1 to 65535 (e.g. 127.0.0.1:8080)'],
    ['a non-positive rule limit', `${VALID}rules:\n  - { id: r1, limit: -5, per: minute }\n`, 'rules[0].limit: -5 is not a positive integer'],
    ['an unknown field', VALID.replace('connections: 64', 'conections: 64'), 'upstream: unknown field "conections" (allowed: url, connections, timeoutMs, connectTimeoutMs, bodyTimeoutMs, keepAliveTimeoutMs, client, pipelining, fastConnections)'],
    ['an upstream with a path', VALID.replace('https://api.mercadolibre.com', 'https://api.mercadolibre.com/v1'), 'upstream.url: "https://api.mercadolibre.com/v1" is not an http:// or https:// origin URL without path, query or credentials'],
    ['a bad CIDR', `${VALID}trustedProxies: [10.0.0.0/33]\n`, 'trustedProxies[0]: "10.0.0.0/33" is not an IP address or CIDR (e.g. 10.0.0.0/8, ::1)'],
    ['a bad rule CIDR', `${VALID}rules:\n  - { id: r1, match: { ip: 10.0.0.0/33 }, limit: 5, per: minute }\n`, 'rules[0].match.ip: "10.0.0.0/33" is not an IP address or CIDR'],
    ['a duplicate rule id', `${VALID}rules:\n  - { id: r1, limit: 5, per: minute }\n  - { id: r1, limit: 6, per: minute }\n`, 'rules[1].id: "r1" is a duplicate id'],
    ['a bad retention', `${VALID}stats: { retention: forever }\n`, 'stats.retention: "forever" is not a duration between 3600000ms and 315360000000ms (e.g. 500ms, 10s, 5m, 48h, 7d)'],
    ['a too-short admin token', `${VALID}admin: { token: abc }\n`, 'admin.token: "abc" is too short for an admin token (at least 16 characters)'],
    ['a gossip interval of 0', VALID.replace('intervalMs: 20', 'intervalMs: 0'), 'cluster.gossip.intervalMs: 0 is not an integer between 1 and 10000'],
    ['no nodes', VALID.replace(NODES, 'nodes: []\n'), 'nodes: [] must list at least one node'],
    ['a missing section', VALID.replace(/upstream:.*\n/, ''), 'upstream: missing (required)'],
  ])('%s', (_what, text, expected) => {
    expect(problemsOf(text)).toContain(expected)
  })

  it('names both places of a duplicate node id and of an address used twice', () => {
    const text = `${VALID}  - { id: n1, http: 127.0.0.1:8080, admin: 127.0.0.1:7071, p2p: 127.0.0.1:7947, dataDir: ./data/n2 }\n`
    expect(problemsOf(text)).toEqual([
      'nodes[1].id: "n1" is a duplicate node id (also nodes[0].id)',
      'nodes[1].http: "127.0.0.1:8080" is already used by nodes[0].http',
    ])
  })

  it('reports YAML syntax errors with their line and column', () => {
    const [problem] = problemsOf('cluster: { name: meli\nupstream: [\n')
    expect(problem).toMatch(/^line \d+, column \d+: /)
  })

  it('rejects a file that is not a mapping', () => {
    expect(problemsOf('- just\n- a list\n')).toEqual(['(root): the file must be a YAML mapping with cluster, upstream, nodes, ...'])
  })

  describe('environment variables', () => {
    it('substitutes ${NAME} and ${NAME:-default}, reading numbers as numbers', () => {
      const text = VALID.replace('timeoutMs: 10000', 'timeoutMs: ${UPSTREAM_TIMEOUT:-2500}') + 'admin: { token: ${TOKEN} }\n'
      const config = parseConfigText(text, 'cluster.yml', { TOKEN: 'a-long-enough-token-value' })
      expect(config.upstream.timeoutMs).toBe(2500)
      expect(config.admin.token).toBe('a-long-enough-token-value')
    })

    it('treats an unset ${NAME} as an absent optional field', () => {
      const config = parseConfigText(`${VALID}admin: { token: \${MELIPROXY_ADMIN_TOKEN} }\n`, 'cluster.yml', {})
      expect(config.admin.token).toBeUndefined()
    })

    it('names an unset variable used inside a longer value', () => {
      expect(problemsOf(VALID.replace('https://api.mercadolibre.com', 'https://${API_HOST}'))).toEqual([
        'upstream.url: ${API_HOST} is not set in the environment (use ${API_HOST:-default} for a default)',
      ])
    })

    it('never lets a variable inject YAML structure', () => {
      const config = parseConfigText(`${VALID}admin: { token: \${TOKEN} }\n`, 'cluster.yml', { TOKEN: '{ openReads: true }' })
      expect(config.admin.token).toBe('{ openReads: true }')
      expect(config.admin.openReads).toBe(false)
    })
  })
})
