// True when the module at `moduleUrl` is the script node was started with (so importing a suite
// from a CLI runs nothing, while `npx tsx bench/suites/x.ts` runs it).
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export function isEntryPoint(moduleUrl: string): boolean {
  const entry = process.argv[1]
  if (entry === undefined) return false
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl))
  } catch {
    return false
  }
}
