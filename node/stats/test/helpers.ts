// Shared test helpers: temp data dirs, a recording logger, a settable clock.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { StatsLogger } from '../stats-options.js'

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'meliproxy-stats-'))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

export interface LogLine {
  level: 'info' | 'warn' | 'error'
  obj: object
  msg: string | undefined
}

export function recordingLogger(): StatsLogger & { lines: LogLine[] } {
  const lines: LogLine[] = []
  return {
    lines,
    info: (obj, msg) => void lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => void lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => void lines.push({ level: 'error', obj, msg }),
  }
}

export class TestClock {
  constructor(public t: number) {}
  readonly now = (): number => this.t
}

/** 2026-03-10T12:00:00Z: a round hour, so minute offsets below stay in one hour. */
export const T0 = Date.UTC(2026, 2, 10, 12, 0, 0)

export const RETENTION = { minutesMs: 48 * 3_600_000, hoursMs: 7 * 24 * 3_600_000 }

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
