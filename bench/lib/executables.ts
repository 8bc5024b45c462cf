// Finds external tools (wrk, nginx, taskset) on PATH without spawning a shell, plus the sbin
// directories Debian installs nginx into (often not on a non-root PATH).
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, join } from 'node:path'

const EXTRA_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin']

/** Absolute path of an executable named `name`, or undefined when none is found. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...EXTRA_DIRS]
  for (const dir of dirs) {
    const candidate = join(dir, name)
    try {
      if (!statSync(candidate).isFile()) continue
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here; keep looking
    }
  }
  return undefined
}
