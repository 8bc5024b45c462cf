import { describe, expect, it } from 'vitest'
import {
  formatBytes,
  formatClock,
  formatCompact,
  formatAxisTime,
  formatCount,
  formatDuration,
  formatLatency,
  formatPercent,
  formatRate,
  formatRelative,
  NONE,
} from '../src/lib/format.js'

const EN = 'en-US'

describe('rates and counts', () => {
  it('shows one decimal for slow rates and whole numbers with grouping for fast ones', () => {
    expect(formatRate(2.46, EN)).toBe('2.5 req/s')
    expect(formatRate(0, EN)).toBe('0.0 req/s')
    expect(formatRate(812.4, EN)).toBe('812 req/s')
    expect(formatRate(1234.5, EN)).toBe('1,235 req/s')
  })

  it('shows a dash for unknown values instead of 0 or NaN', () => {
    expect(formatRate(null, EN)).toBe(NONE)
    expect(formatCount(undefined, EN)).toBe(NONE)
    expect(formatPercent(null, EN)).toBe(NONE)
    expect(formatLatency(Number.NaN, EN)).toBe(NONE)
    expect(formatBytes(null, EN)).toBe(NONE)
    expect(formatDuration(null)).toBe(NONE)
  })

  it('groups counts and compacts axis labels', () => {
    expect(formatCount(5100, EN)).toBe('5,100')
    expect(formatCompact(5100, EN)).toBe('5.1K')
    expect(formatCompact(2_300_000, EN)).toBe('2.3M')
  })

  it('follows the locale', () => {
    expect(formatCount(1234567, 'de-DE')).toBe('1.234.567')
    expect(formatRate(1234.5, 'de-DE')).toBe('1.235 req/s')
  })

  it('shows shares as percentages with one decimal', () => {
    expect(formatPercent(0.34, EN)).toBe('34.0%')
    expect(formatPercent(1, EN)).toBe('100.0%')
  })
})

describe('bytes', () => {
  it('uses binary units with three significant digits', () => {
    expect(formatBytes(0, EN)).toBe('0 B')
    expect(formatBytes(1023, EN)).toBe('1,023 B')
    expect(formatBytes(1024, EN)).toBe('1.00 KiB')
    expect(formatBytes(1536, EN)).toBe('1.50 KiB')
    expect(formatBytes(7_400_000, EN)).toBe('7.06 MiB')
    expect(formatBytes(250 * 1024 ** 3, EN)).toBe('250 GiB')
  })
})

describe('latencies and durations', () => {
  it('switches from microseconds to milliseconds to seconds', () => {
    expect(formatLatency(0, EN)).toBe('0 ms')
    expect(formatLatency(0.15, EN)).toBe('150 µs')
    expect(formatLatency(1.84, EN)).toBe('1.8 ms')
    expect(formatLatency(240.4, EN)).toBe('240 ms')
    expect(formatLatency(1250, EN)).toBe('1.25 s')
  })

  it('gives uptimes by their two largest units, dropping a zero second unit', () => {
    expect(formatDuration(450)).toBe('450 ms')
    expect(formatDuration(45_000)).toBe('45 s')
    expect(formatDuration(12 * 60_000 + 5000)).toBe('12 min 5 s')
    expect(formatDuration(3 * 3_600_000 + 20 * 60_000 + 59_000)).toBe('3 h 20 min')
    expect(formatDuration(2 * 86_400_000)).toBe('2 d')
    expect(formatDuration(2 * 86_400_000 + 4 * 3_600_000)).toBe('2 d 4 h')
    expect(formatDuration(600_000)).toBe('10 min')
  })
})

describe('relative times', () => {
  const now = Date.UTC(2025, 10, 27, 12, 0, 0)

  it('says how long ago, in the largest whole unit', () => {
    expect(formatRelative(now - 300, now, EN)).toBe('now')
    expect(formatRelative(now - 5_000, now, EN)).toBe('5 seconds ago')
    expect(formatRelative(now - 3 * 60_000, now, EN)).toBe('3 minutes ago')
    expect(formatRelative(now - 2 * 3_600_000, now, EN)).toBe('2 hours ago')
    expect(formatRelative(now - 86_400_000, now, EN)).toBe('yesterday')
    expect(formatRelative(now + 2 * 3_600_000, now, EN)).toBe('in 2 hours')
  })
})

describe('clock times in the viewer time zone', () => {
  const instant = Date.UTC(2025, 10, 27, 15, 4, 5)

  it('renders the same instant in each zone', () => {
    expect(formatClock(instant, { timeZone: 'UTC', locale: EN })).toBe('15:04:05')
    expect(formatClock(instant, { timeZone: 'America/Argentina/Buenos_Aires', locale: EN })).toBe('12:04:05')
    expect(formatClock(instant, { timeZone: 'Asia/Tokyo', locale: EN })).toBe('00:04:05')
  })

  it('adds the date when asked, which changes with the zone across midnight', () => {
    expect(formatClock(instant, { timeZone: 'UTC', locale: EN, date: true, seconds: false })).toBe('Nov 27, 15:04')
    expect(formatClock(instant, { timeZone: 'Asia/Tokyo', locale: EN, date: true, seconds: false })).toBe('Nov 28, 00:04')
  })

  it('labels chart ticks with the time, and with the day at local midnight', () => {
    const midnightTokyo = Date.UTC(2025, 10, 27, 15, 0)
    expect(formatAxisTime(midnightTokyo, { timeZone: 'Asia/Tokyo', locale: EN })).toBe('Nov 28')
    expect(formatAxisTime(midnightTokyo, { timeZone: 'UTC', locale: EN })).toBe('15:00')
  })

  it('uses the runtime zone when none is given', () => {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone
    expect(formatClock(instant, { locale: EN })).toBe(formatClock(instant, { locale: EN, timeZone: zone }))
  })
})
