import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { StaticFiles } from '../static-files.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function build(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'meliproxy-ui-'))
  dirs.push(dir)
  write(dir, files)
  return dir
}

function write(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
}

function text(body: string | Uint8Array): string {
  return typeof body === 'string' ? body : Buffer.from(body).toString('utf8')
}

function header(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < headers.length; i += 2) if (headers[i] === name) return headers[i + 1]
  return undefined
}

describe('StaticFiles', () => {
  it('serves the index at / and for app routes, assets with long caching, and 404 for missing assets', () => {
    const dir = build({ 'index.html': '<html>v1</html>', 'assets/app-1a2b.js': 'js', 'assets/app-1a2b.css': 'css', 'favicon.svg': '<svg/>' })
    const files = new StaticFiles(dir)
    expect(files.available).toBe(true)
    const index = files.lookup('/')!
    expect(text(index.body)).toBe('<html>v1</html>')
    expect(index.contentType).toBe('text/html; charset=utf-8')
    expect(header(index.headers, 'cache-control')).toBe('no-cache')
    expect(text(files.lookup('/rules/edit')!.body)).toBe('<html>v1</html>')
    const js = files.lookup('/assets/app-1a2b.js')!
    expect(js.contentType).toBe('text/javascript; charset=utf-8')
    expect(header(js.headers, 'cache-control')).toBe('public, max-age=31536000, immutable')
    expect(files.lookup('/assets/app-1a2b.css')!.contentType).toBe('text/css; charset=utf-8')
    expect(files.lookup('/favicon.svg')!.contentType).toBe('image/svg+xml')
    expect(header(files.lookup('/favicon.svg')!.headers, 'cache-control')).toBe('no-cache')
    expect(files.lookup('/assets/gone-0000.js')).toBeNull()
    // A path is only ever a key: climbing out of the directory finds nothing but the app.
    expect(text(files.lookup('/../../etc/passwd')!.body)).toBe('<html>v1</html>')
  })

  it('says it is unavailable when the UI is not built, and picks up a build made later', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meliproxy-ui-'))
    dirs.push(dir)
    let now = 0
    const files = new StaticFiles(dir, () => now)
    expect(files.available).toBe(false)
    expect(files.lookup('/')).toBeNull()
    write(dir, { 'index.html': '<html>v1</html>', 'assets/a-1.js': 'one' })
    now += 1500
    expect(text(files.lookup('/')!.body)).toBe('<html>v1</html>')
    expect(files.available).toBe(true)

    // A rebuild: new index and assets; the old asset stays available to pages already open.
    rmSync(join(dir, 'assets'), { recursive: true })
    write(dir, { 'index.html': '<html>v2</html>', 'assets/a-2.js': 'two' })
    utimesSync(join(dir, 'index.html'), new Date(), new Date(Date.now() + 5000))
    expect(text(files.lookup('/')!.body)).toBe('<html>v1</html>') // checked at most once a second
    now += 1500
    expect(text(files.lookup('/')!.body)).toBe('<html>v2</html>')
    expect(text(files.lookup('/assets/a-2.js')!.body)).toBe('two')
    expect(text(files.lookup('/assets/a-1.js')!.body)).toBe('one')
  })
})
