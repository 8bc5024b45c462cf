// The built admin UI (admin-ui/dist), served from memory. The files are read once at start-up into a map from URL path
// to response, so a request path is only ever a map key: nothing from the network reaches the file system.
//
// - `/` and any other GET path that is not a file (the app's own routes) → index.html, `cache-control: no-cache`
//   (it names the current hashed assets, so it must be revalidated);
// - `/assets/*` are content-hashed by Vite → cached for a year, immutable; a missing one is a 404, not index.html
//   (a page from an older build asking for its assets must fail visibly);
// - other files (favicon…) → `no-cache`.
// At most once a second a lookup checks whether index.html changed and rescans the directory if so: a UI built or
// rebuilt while the node runs is picked up. The previous build's files stay, so open pages still load their assets.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { extname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AdminReply } from './http-json.js'

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
}
const IMMUTABLE = 'public, max-age=31536000, immutable'
const NO_CACHE = 'no-cache'
/** The UI is a few hundred KiB; anything beyond this is not a UI build and is not loaded into memory. */
export const MAX_UI_BYTES = 32 * 1024 * 1024
const MAX_UI_FILES = 2000
const RESCAN_INTERVAL_MS = 1000

/** admin-ui/dist seen from this module: node/admin/ in the sources, dist/node/admin/ in the build. */
export function defaultUiDirectory(): string {
  const fromBuild = import.meta.url.includes('/dist/node/admin/')
  return fileURLToPath(new URL(fromBuild ? '../../../admin-ui/dist/' : '../../admin-ui/dist/', import.meta.url))
}

export class StaticFiles {
  readonly directory: string
  private readonly files = new Map<string, AdminReply>()
  private bytes = 0
  private lastCheck = -Infinity
  private indexMtime = -1
  private readonly now: () => number

  /** Loads every file under `directory`; an absent directory (UI not built) serves a 404 that says so. */
  constructor(directory: string, now: () => number = () => performance.now()) {
    this.directory = directory
    this.now = now
    this.scan()
  }

  get available(): boolean {
    return this.files.has('/index.html')
  }

  /** The reply for GET `path`, or null when there is none (the caller answers 404). */
  lookup(path: string): AdminReply | null {
    const found = this.find(path)
    const now = this.now()
    if (now - this.lastCheck < RESCAN_INTERVAL_MS) return found
    this.lastCheck = now
    if (indexMtime(this.directory) === this.indexMtime) return found
    this.scan()
    return this.find(path)
  }

  private find(path: string): AdminReply | null {
    const file = this.files.get(path === '/' ? '/index.html' : path)
    if (file !== undefined) return file
    if (path.startsWith('/assets/')) return null
    return this.files.get('/index.html') ?? null
  }

  private scan(): void {
    const mtime = indexMtime(this.directory)
    if (mtime < 0) return
    const found: Array<[string, string]> = []
    let total = 0
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = join(dir, entry.name)
        if (entry.isDirectory()) walk(full)
        else if (entry.isFile() && found.length < MAX_UI_FILES) {
          total += statSync(full).size
          found.push(['/' + relative(this.directory, full).split(sep).join('/'), full])
        }
      }
    }
    try {
      walk(this.directory)
      if (total > MAX_UI_BYTES) return
      // Keep the previous build's files unless memory would grow past the bound; then hold only this build.
      if (this.bytes + total > MAX_UI_BYTES) {
        this.files.clear()
        this.bytes = 0
      }
      this.indexMtime = mtime
      for (const [urlPath, full] of found) {
        const body = readFileSync(full)
        const previous = this.files.get(urlPath)
        this.bytes += body.length - (previous === undefined ? 0 : (previous.body as Buffer).length)
        const cache = urlPath !== '/index.html' && urlPath.startsWith('/assets/') ? IMMUTABLE : NO_CACHE
        this.files.set(urlPath, {
          status: '200 OK',
          contentType: CONTENT_TYPES[extname(urlPath).toLowerCase()] ?? 'application/octet-stream',
          body,
          headers: ['cache-control', cache, 'x-content-type-options', 'nosniff'],
        })
      }
    } catch {
      // A build in progress can remove files between the listing and the read: the next miss scans again.
    }
  }
}

/** Modification time of index.html (ms), or -1 when there is none. */
function indexMtime(directory: string): number {
  try {
    return statSync(join(directory, 'index.html')).mtimeMs
  } catch {
    return -1
  }
}
