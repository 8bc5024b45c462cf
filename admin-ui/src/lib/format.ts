// How numbers and times read in the UI. Every function takes the locale and time zone as optional parameters so
// tests can pin them; left out, they are the viewer's (the browser's Intl defaults). Intl formatters are cached
// because charts and tables call these for every cell on every refresh.

/** Shown where a value is unknown (a member that did not answer, a bucket with no requests). */
export const NONE = '—'

const numberFormats = new Map<string, Intl.NumberFormat>()
const dateFormats = new Map<string, Intl.DateTimeFormat>()
const relativeFormats = new Map<string, Intl.RelativeTimeFormat>()

function numberFormat(locale: string | undefined, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`
  let format = numberFormats.get(key)
  if (format === undefined) {
    format = new Intl.NumberFormat(locale, options)
    numberFormats.set(key, format)
  }
  return format
}

function isFiniteNumber(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

/** A whole count with grouping: 5100 → "5,100". */
export function formatCount(value: number | null | undefined, locale?: string): string {
  if (!isFiniteNumber(value)) return NONE
  return numberFormat(locale, { maximumFractionDigits: 0 }).format(value)
}

/** A short count for chart axes: 5100 → "5.1K", 2_300_000 → "2.3M". */
export function formatCompact(value: number | null | undefined, locale?: string): string {
  if (!isFiniteNumber(value)) return NONE
  return numberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }).format(value)
}

/** Requests per second: one decimal below 10, whole above ("2.5 req/s", "1,235 req/s"). */
export function formatRate(perSecond: number | null | undefined, locale?: string): string {
  if (!isFiniteNumber(perSecond)) return NONE
  const digits = Math.abs(perSecond) < 10 ? 1 : 0
  return `${numberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(perSecond)} req/s`
}

/** A fraction 0..1 as a percentage with one decimal: 0.34 → "34.0%". */
export function formatPercent(fraction: number | null | undefined, locale?: string): string {
  if (!isFiniteNumber(fraction)) return NONE
  return numberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(fraction)
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const

/** Bytes in binary units, three significant digits: 7_400_000 → "7.06 MiB". */
export function formatBytes(bytes: number | null | undefined, locale?: string): string {
  if (!isFiniteNumber(bytes)) return NONE
  let value = Math.abs(bytes)
  let unit = 0
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024
    unit++
  }
  const sign = bytes < 0 ? -1 : 1
  if (unit === 0) return `${formatCount(sign * value, locale)} B`
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
  const text = numberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(sign * value)
  return `${text} ${BYTE_UNITS[unit]}`
}

/** A latency in milliseconds: "150 µs" below 1 ms, "1.8 ms", "240 ms", "1.25 s". */
export function formatLatency(ms: number | null | undefined, locale?: string): string {
  if (!isFiniteNumber(ms)) return NONE
  if (ms === 0) return '0 ms'
  if (ms < 1) return `${formatCount(ms * 1000, locale)} µs`
  if (ms < 100) return `${numberFormat(locale, { maximumFractionDigits: 1 }).format(ms)} ms`
  if (ms < 1000) return `${formatCount(ms, locale)} ms`
  return `${numberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(ms / 1000)} s`
}

const DURATION_UNITS = [
  { ms: 86_400_000, label: 'd' },
  { ms: 3_600_000, label: 'h' },
  { ms: 60_000, label: 'min' },
  { ms: 1000, label: 's' },
] as const

/** An elapsed time by its two largest units, truncated: "45 s", "12 min 5 s", "3 h 20 min", "2 d 4 h". */
export function formatDuration(ms: number | null | undefined): string {
  if (!isFiniteNumber(ms) || ms < 0) return NONE
  if (ms < 1000) return `${Math.floor(ms)} ms`
  const parts: string[] = []
  let rest = Math.floor(ms)
  for (const unit of DURATION_UNITS) {
    const amount = Math.floor(rest / unit.ms)
    rest -= amount * unit.ms
    if (amount > 0 || parts.length > 0) parts.push(`${amount} ${unit.label}`)
    if (parts.length === 2) break
  }
  if (parts.length === 2 && parts[1]!.startsWith('0 ')) parts.pop()
  return parts.join(' ')
}

/** How long ago (or ahead) `then` is from `now`, in words: "now", "5 seconds ago", "3 minutes ago", "in 2 hours". */
export function formatRelative(then: number, now: number, locale?: string): string {
  const key = locale ?? ''
  let format = relativeFormats.get(key)
  if (format === undefined) {
    format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' })
    relativeFormats.set(key, format)
  }
  const diff = then - now
  const abs = Math.abs(diff)
  if (abs < 1000) return format.format(0, 'second')
  if (abs < 60_000) return format.format(Math.trunc(diff / 1000), 'second')
  if (abs < 3_600_000) return format.format(Math.trunc(diff / 60_000), 'minute')
  if (abs < 86_400_000) return format.format(Math.trunc(diff / 3_600_000), 'hour')
  return format.format(Math.trunc(diff / 86_400_000), 'day')
}

export interface ClockOptions {
  /** IANA zone; left out, the viewer's. */
  timeZone?: string
  locale?: string
  /** Include the date (month and day); default false. */
  date?: boolean
  /** Include seconds; default true. */
  seconds?: boolean
}

/** A wall-clock time in the viewer's (or the given) time zone, 24-hour: "14:03:09", "Nov 27, 14:03". */
export function formatClock(epochMs: number | null | undefined, options: ClockOptions = {}): string {
  if (!isFiniteNumber(epochMs)) return NONE
  const seconds = options.seconds ?? true
  const key = `${options.locale ?? ''}|${options.timeZone ?? ''}|${options.date === true}|${seconds}`
  let format = dateFormats.get(key)
  if (format === undefined) {
    format = new Intl.DateTimeFormat(options.locale, {
      timeZone: options.timeZone,
      hourCycle: 'h23',
      hour: '2-digit',
      minute: '2-digit',
      ...(seconds ? { second: '2-digit' } : {}),
      ...(options.date === true ? { month: 'short', day: 'numeric' } : {}),
    })
    dateFormats.set(key, format)
  }
  return format.format(epochMs)
}

/** A day in the viewer's (or the given) time zone: "Nov 28". */
export function formatDay(epochMs: number, options: Pick<ClockOptions, 'timeZone' | 'locale'> = {}): string {
  const key = `${options.locale ?? ''}|${options.timeZone ?? ''}|day`
  let format = dateFormats.get(key)
  if (format === undefined) {
    format = new Intl.DateTimeFormat(options.locale, { timeZone: options.timeZone, month: 'short', day: 'numeric' })
    dateFormats.set(key, format)
  }
  return format.format(epochMs)
}

/** A chart's time tick: "14:05", or the day ("Nov 28") at local midnight, so a long range shows where days begin. */
export function formatAxisTime(epochMs: number, options: Pick<ClockOptions, 'timeZone' | 'locale'> = {}): string {
  const time = formatClock(epochMs, { ...options, seconds: false })
  return time === '00:00' ? formatDay(epochMs, options) : time
}

/** The viewer's IANA time zone, e.g. "America/Argentina/Buenos_Aires" (UTC when the browser does not say). */
export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
}
