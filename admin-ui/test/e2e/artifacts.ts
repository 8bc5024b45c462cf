// Screenshots of browser tests go to test-artifacts/admin-ui/ at the repository root (git-ignored; CI keeps the
// folder as the run's artifacts). MELIPROXY_ARTIFACTS overrides the folder. The README's pictures
// (admin-ui/docs/screenshot-*.png) are copies of the live-cluster test's screenshots: a run with
// MELIPROXY_UPDATE_DOCS_SCREENSHOTS=1 refreshes them, any other run leaves the source tree alone.
import { copyFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const ARTIFACTS_DIR = process.env.MELIPROXY_ARTIFACTS ?? join(REPO_ROOT, 'test-artifacts', 'admin-ui')
export const DOCS_DIR = join(REPO_ROOT, 'admin-ui', 'docs')
const KEBAB = /^[a-z0-9][a-z0-9-]*$/

/** Saves a full-page PNG named `<name>.png` and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  if (!KEBAB.test(name)) throw new Error(`screenshot name ${JSON.stringify(name)} is not kebab-case`)
  await mkdir(ARTIFACTS_DIR, { recursive: true })
  const path = join(ARTIFACTS_DIR, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

/**
 * Copies a saved screenshot over admin-ui/docs/screenshot-<docName>.png when MELIPROXY_UPDATE_DOCS_SCREENSHOTS=1;
 * returns the path written, or null when the variable is not set.
 */
export async function publishScreenshot(artifact: string, docName: 'cluster' | 'traffic' | 'limits'): Promise<string | null> {
  if (process.env.MELIPROXY_UPDATE_DOCS_SCREENSHOTS !== '1') return null
  const target = join(DOCS_DIR, `screenshot-${docName}.png`)
  await copyFile(artifact, target)
  return target
}
