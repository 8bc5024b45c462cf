// Serves the built admin UI (admin-ui/dist) with Vite's preview server on a free loopback port, for browser tests
// that fake the API with page.route instead of running a cluster.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { preview } from 'vite'

const UI_ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const DIST_DIR = join(UI_ROOT, 'dist')

export interface PreviewServer {
  url: string
  close(): Promise<void>
}

export async function servePreview(): Promise<PreviewServer> {
  if (!existsSync(join(DIST_DIR, 'index.html'))) {
    throw new Error(`${DIST_DIR} has no build: run "npm run build:ui" first`)
  }
  const server = await preview({
    configFile: join(UI_ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  })
  const url = server.resolvedUrls?.local[0]
  if (url === undefined) {
    await server.close()
    throw new Error('the preview server reports no local URL')
  }
  return { url, close: () => server.close() }
}
