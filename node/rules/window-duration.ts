// The `per` field of a rule: a named window (second, minute, hour, day) or a duration "<n>ms|s|m|h|d",
// bounded to [100 ms, 7 d] so every window is long enough to gossip about and short enough to keep in memory.

export const MIN_WINDOW_MS = 100
export const MAX_WINDOW_MS = 7 * 86_400_000

const NAMED: Readonly<Record<string, number>> = Object.freeze({
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
})

const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({ ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 })
const DURATION = /^([1-9][0-9]{0,9})(ms|s|m|h|d)$/

/** The window length in milliseconds, or undefined when `per` is not an allowed window. */
export function parseWindow(per: string): number | undefined {
  const named = Object.hasOwn(NAMED, per) ? NAMED[per] : undefined
  if (named !== undefined) return named
  const m = DURATION.exec(per)
  if (m === null) return undefined
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!
  return ms >= MIN_WINDOW_MS && ms <= MAX_WINDOW_MS ? ms : undefined
}

/** The shortest exact spelling of a window: 60000 → "1m", 90000 → "90s", 1500 → "1500ms". */
export function formatWindow(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}
