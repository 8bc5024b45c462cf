// The package version (shown by the admin API and logs), from the nearest package.json above this file: it is one
// level up when run from source (vitest, tsx) and two levels up when compiled into dist/.
import { existsSync, readFileSync } from 'node:fs'

function findVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    const url = new URL(rel, import.meta.url)
    if (!existsSync(url)) continue
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string }
    if (pkg.name === 'meliproxy' && typeof pkg.version === 'string') return pkg.version
  }
  return '0.0.0'
}

export const VERSION: string = findVersion()
