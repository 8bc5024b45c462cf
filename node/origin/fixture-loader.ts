// Recorded Meli responses served byte for byte. A fixture is a pair under `<fixturesDir>/meli/`:
// `<path>.json` (the body) and `<path>.headers` (the status line and headers as captured, e.g. with
// `curl -i`), and it answers GET/HEAD `/<path>`; `meli/categories/MLA97994.json` answers
// `/categories/MLA97994`. Date, Content-Length and framing headers are dropped from the capture:
// uWS writes its own, and a duplicate would corrupt the response.
import { readdir, readFile, stat } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { OriginFixtureError } from './errors.js'
import { PreparedResponse } from './prepared-response.js'

export interface Fixture {
  /** Request path it answers, e.g. `/categories/MLA97994`. */
  path: string
  response: PreparedResponse
}

/** Hard limits: fixtures are local files, but a wrong directory must not load gigabytes. */
export const FIXTURE_LIMITS = { maxFixtures: 10_000, maxBodyBytes: 16 * 1024 * 1024, maxHeadersBytes: 64 * 1024 } as const

const DROPPED_HEADERS = new Set(['date', 'content-length', 'transfer-encoding', 'connection', 'keep-alive'])
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/
// uWS route patterns treat ':' and '*' specially; fixture names are plain path segments.
const SAFE_SEGMENT = /^[A-Za-z0-9._~-]+$/

/** Loads every fixture under `<fixturesDir>/meli/`. Throws OriginFixtureError on the first bad file. */
export async function loadFixtures(fixturesDir: string): Promise<Fixture[]> {
  const root = join(fixturesDir, 'meli')
  try {
    if (!(await stat(root)).isDirectory()) throw new OriginFixtureError(root, 'is not a directory')
  } catch (err) {
    if (err instanceof OriginFixtureError) throw err
    throw new OriginFixtureError(root, `cannot be read (${(err as Error).message}); fixturesDir must contain a meli/ folder`)
  }
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  const bodies = entries.filter((e) => e.isFile() && e.name.endsWith('.json')).map((e) => join(e.parentPath ?? e.path, e.name))
  if (bodies.length > FIXTURE_LIMITS.maxFixtures) throw new OriginFixtureError(root, `holds ${bodies.length} fixtures, more than ${FIXTURE_LIMITS.maxFixtures}`)
  bodies.sort()
  const fixtures: Fixture[] = []
  for (const bodyFile of bodies) fixtures.push(await loadFixture(root, bodyFile))
  return fixtures
}

async function loadFixture(root: string, bodyFile: string): Promise<Fixture> {
  const segments = relative(root, bodyFile).slice(0, -'.json'.length).split(sep)
  for (const s of segments) if (!SAFE_SEGMENT.test(s)) throw new OriginFixtureError(bodyFile, `path segment ${JSON.stringify(s)} is not one of A-Z a-z 0-9 . _ ~ -`)
  const headersFile = `${bodyFile.slice(0, -'.json'.length)}.headers`
  const body = await readLimited(bodyFile, FIXTURE_LIMITS.maxBodyBytes)
  const headerText = (await readLimited(headersFile, FIXTURE_LIMITS.maxHeadersBytes)).toString('latin1')
  const lines = headerText.split(/\r?\n/)
  const statusMatch = STATUS_LINE.exec(lines[0] ?? '')
  if (!statusMatch) throw new OriginFixtureError(headersFile, `first line ${JSON.stringify(lines[0] ?? '')} is not an HTTP/1.x status line`)
  const code = statusMatch[1]!
  const reason = statusMatch[2] ?? ''
  const headers: Array<readonly [string, Buffer]> = []
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!
    if (line === '') break
    const m = HEADER_LINE.exec(line)
    if (!m) throw new OriginFixtureError(headersFile, `line ${i + 1} ${JSON.stringify(line.slice(0, 80))} is not a header`)
    const name = m[1]!.toLowerCase()
    // Values keep their captured bytes (read as latin1, written back as latin1), never re-encoded as UTF-8.
    if (!DROPPED_HEADERS.has(name)) headers.push([name, Buffer.from(m[2]!, 'latin1')])
  }
  return { path: `/${segments.join('/')}`, response: new PreparedResponse(reason === '' ? code : `${code} ${reason}`, headers, body) }
}

async function readLimited(file: string, maxBytes: number): Promise<Buffer> {
  let size: number
  try {
    size = (await stat(file)).size
  } catch (err) {
    throw new OriginFixtureError(file, `cannot be read (${(err as Error).message})`)
  }
  if (size > maxBytes) throw new OriginFixtureError(file, `is ${size} bytes, more than ${maxBytes}`)
  return readFile(file)
}
