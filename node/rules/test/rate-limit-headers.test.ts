import { describe, expect, it } from 'vitest'
import {
  rateLimitPolicyValue,
  rateLimitPrefix,
  rateLimitValue,
  rejectionBody,
  rejectionBodyPrefix,
  retryAfterSeconds,
} from '../rate-limit-headers.js'
import { formatWindow, parseWindow } from '../window-duration.js'

describe('RateLimit header values', () => {
  it('writes the policy as "<id>";q=<limit>;w=<seconds>', () => {
    expect(rateLimitPolicyValue('ip-152', 1000, 60_000)).toBe('"ip-152";q=1000;w=60')
    expect(rateLimitPolicyValue('daily', 5, 86_400_000)).toBe('"daily";q=5;w=86400')
    // The draft allows only whole, non-zero seconds: sub-second windows round up.
    expect(rateLimitPolicyValue('burst', 10, 100)).toBe('"burst";q=10;w=1')
    expect(rateLimitPolicyValue('odd', 10, 1500)).toBe('"odd";q=10;w=2')
  })

  it('writes the service limit as "<id>";r=<remaining>;t=<seconds>, both whole and never negative', () => {
    const prefix = rateLimitPrefix('items')
    expect(rateLimitValue(prefix, 9, 45_000)).toBe('"items";r=9;t=45')
    expect(rateLimitValue(prefix, 3.7, 44_001)).toBe('"items";r=3;t=45')
    expect(rateLimitValue(prefix, -1, 0)).toBe('"items";r=0;t=0')
    expect(rateLimitValue(prefix, 0, -5)).toBe('"items";r=0;t=0')
  })

  it('never tells a rejected client to retry in less than one second', () => {
    expect(retryAfterSeconds(0)).toBe(1)
    expect(retryAfterSeconds(1)).toBe(1)
    expect(retryAfterSeconds(1001)).toBe(2)
    expect(retryAfterSeconds(59_999)).toBe(60)
  })

  it('writes the 429 body as JSON, escaping what needs it', () => {
    const body = rejectionBody(rejectionBodyPrefix('per-ip', 6000, '1m'), 7)
    expect(JSON.parse(body)).toEqual({
      error: 'rate_limited',
      message: 'rate limit exceeded: rule per-ip allows 6000 requests per 1m',
      rule: 'per-ip',
      limit: 6000,
      window: '1m',
      retryAfterSeconds: 7,
    })
  })
})

describe('windows', () => {
  it('parses named windows and durations within 100 ms … 7 d', () => {
    expect(parseWindow('second')).toBe(1000)
    expect(parseWindow('minute')).toBe(60_000)
    expect(parseWindow('hour')).toBe(3_600_000)
    expect(parseWindow('day')).toBe(86_400_000)
    expect(parseWindow('100ms')).toBe(100)
    expect(parseWindow('7d')).toBe(7 * 86_400_000)
    expect(parseWindow('168h')).toBe(7 * 86_400_000)
    for (const bad of ['99ms', '169h', '8d', '0m', '01m', '-1s', '1.5s', 'toString', '__proto__']) expect(parseWindow(bad), bad).toBeUndefined()
  })

  it('formats a window in its shortest exact unit', () => {
    expect(formatWindow(60_000)).toBe('1m')
    expect(formatWindow(90_000)).toBe('90s')
    expect(formatWindow(1500)).toBe('1500ms')
    expect(formatWindow(86_400_000)).toBe('1d')
    expect(formatWindow(7_200_000)).toBe('2h')
  })
})
