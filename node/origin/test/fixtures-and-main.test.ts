import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { startOrigin } from '../index.js'
import { parseListen } from '../main.js'

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url))
const dirs: string[] = []

function fixtureDir(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'origin-fixtures-'))
  dirs.push(dir)
  for (const [name, content] of Object.entries(files)) {
    const file = join(dir, 'meli', name)
    mkdirSync(join(file, '..'), { recursive: true })
    writeFileSync(file, content)
  }
  return dir
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('fixtures', () => {
  it('serves a fixture from fixturesDir with its status and headers, over the generated resource', async () => {
    const dir = fixtureDir({
      'items/MLA5.json': '{"id":"MLA5","recorded":true}',
      // A raw 0xE9 byte (latin1), which must reach the client unchanged, not re-encoded as UTF-8.
      'items/MLA5.headers': Buffer.from('HTTP/1.1 203 Non-Authoritative Information\r\ndate: Mon, 06 Nov 2017 14:11:48 GMT\r\ncontent-length: 999\r\nx-fixture: caf\xe9\r\n\r\n', 'latin1'),
    })
    const origin = await startOrigin({ port: 0, fixturesDir: dir })
    try {
      const res = await request(`${origin.url}/items/MLA5`)
      expect(res.statusCode).toBe(203)
      expect(await res.body.text()).toBe('{"id":"MLA5","recorded":true}')
      expect(res.headers['content-length']).toBe('29')
      expect(res.headers.date).not.toBe('Mon, 06 Nov 2017 14:11:48 GMT')
      expect(Buffer.from(res.headers['x-fixture'] as string, 'latin1').toString('hex')).toBe('636166e9')
      const other = await request(`${origin.url}/items/MLA6`)
      expect(other.statusCode).toBe(200)
      await other.body.arrayBuffer()
      const missing = await request(`${origin.url}/categories/MLA97994`)
      expect(missing.statusCode).toBe(200) // generated: this dir has no such fixture
      expect(await missing.body.text()).not.toContain('"name":"32GB"')
    } finally {
      await origin.close()
    }
  })

  it('refuses a fixture without headers, with a bad status line, a bad header or an unsafe name', async () => {
    const cases: Array<Record<string, string>> = [
      { 'a/b.json': '{}' },
      { 'a/b.json': '{}', 'a/b.headers': 'HTTP/2 200\r\n\r\n' },
      { 'a/b.json': '{}', 'a/b.headers': 'HTTP/1.1 200 OK\r\nnot a header\r\n\r\n' },
      { 'a/:b.json': '{}', 'a/:b.headers': 'HTTP/1.1 200 OK\r\n\r\n' },
    ]
    for (const files of cases) {
      await expect(startOrigin({ port: 0, fixturesDir: fixtureDir(files) }), JSON.stringify(Object.keys(files))).rejects.toMatchObject({ code: 'MELIPROXY_ERR_ORIGIN_FIXTURE_INVALID' })
    }
  })
})

describe('main.ts', () => {
  it('parses --listen forms', () => {
    expect(parseListen('127.0.0.1:9000')).toEqual({ host: '127.0.0.1', port: 9000 })
    expect(parseListen('[::1]:9000')).toEqual({ host: '::1', port: 9000 })
    expect(parseListen(':9000')).toEqual({ host: '0.0.0.0', port: 9000 })
    expect(parseListen('9000')).toEqual({ host: '127.0.0.1', port: 9000 })
    expect(parseListen('localhost:0')).toEqual({ host: 'localhost', port: 0 })
    for (const bad of ['', 'host', '1.2.3.4:', '1.2.3.4:70000', '::1:9000', '1.2.3.4:9000x']) expect(parseListen(bad), bad).toBeUndefined()
  })

  it('prints where it listens, serves, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = ''
        const timer = setTimeout(() => reject(new Error(`no listening line within 20 s; stdout ${out}`)), 20_000)
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          const m = /origin listening on (http:\/\/\S+)\n/.exec(out)
          if (m) {
            clearTimeout(timer)
            resolve(m[1]!)
          }
        })
        child.on('exit', (code) => reject(new Error(`exited early with ${code}`)))
      })
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const res = await request(`${url}/categories/MLA97994`)
      expect(res.statusCode).toBe(200)
      await res.body.arrayBuffer()
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })

  it('exits 2 on a bad --listen', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--listen', 'nonsense'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
    expect(code).toBe(2)
    expect(err).toContain('--listen')
  })
})
