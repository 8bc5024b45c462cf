import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HeaderValueGlob } from '../header-value-glob.js'

describe('HeaderValueGlob', () => {
  it('matches exact values and "*" runs, case-sensitively', () => {
    expect(new HeaderValueGlob('abc').matches('abc')).toBe(true)
    expect(new HeaderValueGlob('abc').matches('ABC')).toBe(false)
    expect(new HeaderValueGlob('*').matches('')).toBe(true)
    expect(new HeaderValueGlob('curl/*').matches('curl/8.4.0')).toBe(true)
    expect(new HeaderValueGlob('curl/*').matches('xcurl/8')).toBe(false)
    expect(new HeaderValueGlob('*bot*').matches('Googlebot/2.1')).toBe(true)
    expect(new HeaderValueGlob('a*a').matches('a')).toBe(false)
    expect(new HeaderValueGlob('a*a').matches('aa')).toBe(true)
    expect(new HeaderValueGlob('ab*bc').matches('abc')).toBe(false)
    expect(new HeaderValueGlob('**').matches('x')).toBe(true)
  })

  it('agrees with an anchored regular expression (property)', () => {
    const text = fc.array(fc.constantFrom('a', 'b', '.', '+'), { maxLength: 8 }).map((c) => c.join(''))
    const glob = fc.array(fc.constantFrom('a', 'b', '.', '*'), { maxLength: 6 }).map((c) => c.join(''))
    fc.assert(
      fc.property(glob, text, (g, value) => {
        const re = new RegExp(`^${g.split('*').map((p) => p.replace(/[.+]/g, '\\$&')).join('.*')}$`, 's')
        expect(new HeaderValueGlob(g).matches(value)).toBe(re.test(value))
      }),
      { numRuns: 5000 },
    )
  })
})
