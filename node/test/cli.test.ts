// The command line as an operator meets it: bad files and taken ports stop it with one clear message and a
// non-zero exit, before anything starts; `up` runs and stops a whole cluster.
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePorts, runCli, waitFor } from '../testing/test-cluster.js'

const CLI = fileURLToPath(new URL('../../bin/meliproxy.js', import.meta.url))
let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'meliproxy-cli-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function writeCluster(name: string, nodes: number, extra = ''): Promise<{ file: string; ports: number[] }> {
  const ports = await freePorts(nodes * 3)
  const lines = ['cluster: { name: cli-test, gossip: { intervalMs: 20 } }', 'upstream: { url: http://127.0.0.1:1 }', 'nodes:']
  for (let i = 0; i < nodes; i++) {
    lines.push(`  - { id: n${i + 1}, http: 127.0.0.1:${ports[3 * i]}, admin: 127.0.0.1:${ports[3 * i + 1]}, p2p: 127.0.0.1:${ports[3 * i + 2]}, dataDir: ./${name}-data/n${i + 1} }`)
  }
  const file = join(dir, `${name}.yml`)
  writeFileSync(file, `${lines.join('\n')}\n${extra}`)
  return { file, ports }
}

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(port, '127.0.0.1', () => resolve(s))
  })
}

describe('meliproxy check / node', () => {
  it('check prints a summary of a valid file', async () => {
    const { file } = await writeCluster('valid', 2, 'rules:\n  - { id: per-ip, by: [ip], limit: 6000, per: minute }\n')
    const { code, stdout } = await runCli(['check', '--config', file])
    expect(code).toBe(0)
    expect(stdout).toContain('valid')
    expect(stdout).toContain('per-ip: 6000 per minute')
  })

  it('a bad file: exit 78 with the field path, the value and what is allowed', async () => {
    const { file } = await writeCluster('bad', 1, 'rules:\n  - { id: r1, limit: -5, per: minute }\n  - { id: r2, limit: 5, per: fortnight }\n')
    for (const command of [['check'], ['node', 'n1'], ['up']]) {
      const { code, stderr } = await runCli([...command, '--config', file])
      expect(code).toBe(78)
      expect(stderr).toContain(`${file}: invalid configuration`)
      expect(stderr).toContain('rules[0].limit: -5 is not a positive integer')
      expect(stderr).toContain('rules[1].per: "fortnight" is not a window (second, minute, hour, day, or <n>ms|s|m|h|d from 100ms to 7d)')
    }
  })

  it('a missing file: exit 78 naming it', async () => {
    const { code, stderr } = await runCli(['check', '--config', join(dir, 'nope.yml')])
    expect(code).toBe(78)
    expect(stderr).toContain('nope.yml: invalid configuration')
    expect(stderr).toContain('(file): cannot be read (ENOENT)')
  })

  it('an unknown node id: exit 78 listing the ids the file defines', async () => {
    const { file } = await writeCluster('ids', 2)
    const { code, stderr } = await runCli(['node', 'n7', '--config', file])
    expect(code).toBe(78)
    expect(stderr).toContain('nodes: no node with id "n7" (the file defines n1, n2)')
  })

  it('several nodes without a secret or peer ids: refuses to start', async () => {
    const { file } = await writeCluster('noauth', 2)
    const env = { ...process.env, MELIPROXY_CLUSTER_SECRET: '' }
    const { code, stderr } = await runCli(['node', 'n1', '--config', file], env)
    expect(code).toBe(1)
    expect(stderr).toContain('cluster.secret: not set, and not every node has a peerId')
  })

  it('a taken port: exit 1 naming the address, and nothing keeps running', async () => {
    const { file, ports } = await writeCluster('taken', 1)
    const blocker = await occupy(ports[0]!)
    try {
      const { code, stderr } = await runCli(['node', 'n1', '--config', file])
      expect(code).toBe(1)
      expect(stderr).toContain(`cannot listen on 127.0.0.1:${ports[0]} for http`)
    } finally {
      blocker.close()
    }
  })

  it('usage errors: exit 2', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2)
    expect((await runCli(['node'])).code).toBe(2)
    expect((await runCli(['check', '--bogus'])).code).toBe(2)
  })
})

describe('meliproxy up', () => {
  it('starts every node with the local origin, prints where they listen, and stops them all on SIGINT', async () => {
    const { file, ports } = await writeCluster('up', 3)
    const child = fork(CLI, ['up', '--local-origin', '--config', file], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, MELIPROXY_ADMIN_TOKEN: '' } })
    let out = ''
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      await waitFor(() => out.includes('meliproxy cluster "cli-test" is up: 3 nodes'), { timeoutMs: 30_000, what: `the up table\n${out}` })
      for (let i = 0; i < 3; i++) expect(out).toContain(`http://127.0.0.1:${ports[3 * i]}`)
      expect(out).toMatch(/admin token \(generated for this run; set MELIPROXY_ADMIN_TOKEN to choose one\): \S{20,}/)
      // The nodes proxy to the local origin.
      await waitFor(async () => (await fetch(`http://127.0.0.1:${ports[3]}/categories/MLA97994`)).status === 200, { timeoutMs: 10_000, what: 'n2 proxying' })
      child.kill('SIGINT')
      expect(await exited).toBe(0)
      for (let i = 0; i < 3; i++) {
        await expect(fetch(`http://127.0.0.1:${ports[3 * i + 1]}/healthz`)).rejects.toThrow()
      }
    } finally {
      child.kill('SIGKILL')
    }
  }, 60_000)

  it('stops the nodes that started when one cannot, and exits non-zero', async () => {
    const { file, ports } = await writeCluster('up-taken', 2)
    const blocker = await occupy(ports[3]!) // n2's proxy port
    try {
      const { code, stdout, stderr } = await runCli(['up', '--config', file], { ...process.env }, 45_000)
      expect(code).toBe(1)
      expect(stderr + stdout).toContain(`cannot listen on 127.0.0.1:${ports[3]} for http`)
      expect(stdout).toContain('node n2 failed to start')
      await expect(fetch(`http://127.0.0.1:${ports[1]}/healthz`)).rejects.toThrow()
    } finally {
      blocker.close()
    }
  }, 60_000)
})
