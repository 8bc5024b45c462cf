// Screenshots of browser tests go to test-artifacts/admin-ui/ at the repository root (git-ignored; CI keeps the
// folder as the run's artifacts). MELIPROXY_ARTIFACTS overrides the folder.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const ARTIFACTS_DIR = process.env.MELIPROXY_ARTIFACTS ?? join(REPO_ROOT, 'test-artifacts', 'admin-ui')

/** Saves a full-page PNG named `<name>.png` and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`screenshot name ${JSON.stringify(name)} is not kebab-case`)
  await mkdir(ARTIFACTS_DIR, { recursive: true })
  const path = join(ARTIFACTS_DIR, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}
