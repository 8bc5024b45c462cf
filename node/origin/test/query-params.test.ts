import { describe, expect, it } from 'vitest'
import { parseIntParam } from '../query-params.js'

const spec = { name: 'n', min: 1, max: 1000, fallback: 7 }

describe('parseIntParam', () => {
  it('accepts digits within the range and uses the fallback when absent', () => {
    expect(parseIntParam('', spec)).toEqual({ ok: true, value: 7 })
    expect(parseIntParam('1', spec)).toEqual({ ok: true, value: 1 })
    expect(parseIntParam('1000', spec)).toEqual({ ok: true, value: 1000 })
    expect(parseIntParam('0042', spec)).toEqual({ ok: true, value: 42 })
  })

  it('refuses anything else, naming the parameter and the range', () => {
    for (const bad of ['0', '1001', '-1', '+1', '1e3', '1.5', ' 1', '0x10', 'abc', '9'.repeat(40)]) {
      const r = parseIntParam(bad, spec)
      expect(r.ok, bad).toBe(false)
      if (!r.ok) expect(r.message).toMatch(/^n: .* 1\.\.1000$/)
    }
  })
})
