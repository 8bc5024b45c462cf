// The built admin UI (admin-ui/dist), served from memory. The files are read once at start-up into a map from URL path
// to response, so a request path is only ever a map key: nothing from the network reaches the file system.
//
// - `/` and any other GET path that is not a file (the app's own routes) → index.html, `cache-control: no-cache`
//   (it names the current hashed assets, so it must be revalidated);
// - `/assets/*` are content-hashed by Vite → cached for a year, immutable; a missing one is a 404, not index.html
//   (a page from an older build asking for its assets must fail visibly);
// - other files (favicon…) → `no-cache`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
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

/** admin-ui/dist seen from this module: node/admin/ in the sources, dist/node/admin/ in the build. */
export function defaultUiDirectory(): string {
  const fromBuild = import.meta.url.includes('/dist/node/admin/')
  return fileURLToPath(new URL(fromBuild ? '../../../admin-ui/dist/' : '../../admin-ui/dist/', import.meta.url))
}

export class StaticFiles {
  readonly directory: string
  private readonly files = new Map<string, AdminReply>()
  private readonly index: AdminReply | null

  /** Loads every file under `directory`; an absent directory (UI not built) serves a 404 that says so. */
  constructor(directory: string) {
    this.directory = directory
    if (existsSync(join(directory, 'index.html'))) this.load(directory)
    this.index = this.files.get('/index.html') ?? null
    if (this.index !== null) this.files.set('/', this.index)
  }

  get available(): boolean {
    return this.index !== null
  }

  /** The reply for GET `path`, or null when there is none (the caller answers 404). */
  lookup(path: string): AdminReply | null {
    const file = this.files.get(path)
    if (file !== undefined) return file
    if (path.startsWith('/assets/')) return null
    return this.index
  }

  private load(root: string): void {
    let total = 0
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = join(dir, entry.name)
        if (entry.isDirectory()) {
          walk(full)
          continue
        }
        if (!entry.isFile()) continue
        total += statSync(full).size
        if (total > MAX_UI_BYTES || this.files.size >= MAX_UI_FILES) return
        const urlPath = '/' + relative(root, full).split(sep).join('/')
        const isIndex = urlPath === '/index.html'
        const cache = !isIndex && urlPath.startsWith('/assets/') ? IMMUTABLE : NO_CACHE
        this.files.set(urlPath, {
          status: '200 OK',
          contentType: CONTENT_TYPES[extname(entry.name).toLowerCase()] ?? 'application/octet-stream',
          body: readFileSync(full),
          headers: ['cache-control', cache, 'x-content-type-options', 'nosniff'],
        })
      }
    }
    walk(root)
  }
}
