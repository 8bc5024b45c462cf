// Launches Debian's Chromium through playwright-core (which ships no browser of its own), headless, with a fresh
// profile in a temporary directory that close() removes. MELIPROXY_CHROMIUM overrides the executable.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

export const CHROMIUM_PATH = process.env.MELIPROXY_CHROMIUM ?? '/usr/bin/chromium'

/** Flags for a quiet, offline, throwaway browser: no first-run UI, no background fetches, no GPU. */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
])

export interface LaunchedChromium {
  context: BrowserContext
  /** A new tab, viewport 1440×900 unless given. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>
  /** Closes the browser and deletes its profile directory. */
  close(): Promise<void>
}

export interface LaunchOptions {
  /** Time zone the pages see (Intl, Date); default the machine's. */
  timezoneId?: string
  locale?: string
}

export async function launchChromium(options: LaunchOptions = {}): Promise<LaunchedChromium> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: install it with "apt-get install -y chromium" or set MELIPROXY_CHROMIUM`)
  }
  const userDataDir = await mkdtemp(join(tmpdir(), 'meliproxy-chromium-'))
  let context: BrowserContext
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport: { width: 1440, height: 900 },
      timezoneId: options.timezoneId,
      locale: options.locale ?? 'en-US',
      timeout: 30_000,
    })
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true })
    throw error
  }
  return {
    context,
    async newPage(viewport) {
      const page = await context.newPage()
      if (viewport !== undefined) await page.setViewportSize(viewport)
      return page
    },
    async close() {
      try {
        await context.close()
      } finally {
        await rm(userDataDir, { recursive: true, force: true })
      }
    },
  }
}
