import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_PATH_LENGTH, normalizePath, normalizePathOrNull } from '../normalize-path.js'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

describe('normalizePath', () => {
  it('leaves normal paths alone', () => {
    for (const p of ['/', '/categories/MLA97994', '/items/MLA1/', '/a/b.c/~d_e-f', "/sites/MLA/search;x=1,2:@!$&'()*+="]) {
      expect(normalizePath(p)).toBe(p)
    }
  })

  it('decodes unreserved characters and upper-cases the hex of the rest', () => {
    expect(normalizePath('/%41%62%7E%2d%2E%5f')).toBe('/Ab~-._')
    expect(normalizePath('/a%2fb%3a%40')).toBe('/a%2Fb%3A%40')
    expect(normalizePath('/caf%c3%a9')).toBe('/caf%C3%A9')
  })

  it('resolves dot segments and merges duplicate slashes', () => {
    expect(normalizePath('/a/./b/../c')).toBe('/a/c')
    expect(normalizePath('//a///b//')).toBe('/a/b/')
    expect(normalizePath('/a/b/..')).toBe('/a/')
    expect(normalizePath('/a/b/.')).toBe('/a/b/')
    expect(normalizePath('/../../a')).toBe('/a')
    expect(normalizePath('/..')).toBe('/')
    expect(normalizePath('/.')).toBe('/')
    expect(normalizePath('/a/..b/c.')).toBe('/a/..b/c.')
  })

  it('closes the bypasses of an /items/* rule', () => {
    expect(normalizePath('/it%65ms/X')).toBe('/items/X')
    expect(normalizePath('/categories/../items/X')).toBe('/items/X')
    expect(normalizePath('/categories/%2e%2e/items/X')).toBe('/items/X')
    expect(normalizePath('/categories/.%2E/items/X')).toBe('/items/X')
    expect(normalizePath('//items//X')).toBe('/items/X')
    expect(normalizePath('/%69%74%65%6D%73/X')).toBe('/items/X')
  })

  it('percent-encodes what may not appear raw, as UTF-8', () => {
    expect(normalizePath('/a b|c')).toBe('/a%20b%7Cc')
    expect(normalizePath('/café')).toBe('/caf%C3%A9')
    expect(normalizePath('/café')).toBe(normalizePath('/caf%C3%A9'))
    expect(normalizePath('/😀')).toBe('/%F0%9F%98%80')
    expect(normalizePath('/\ud800x')).toBe('/%EF%BF%BDx')
    expect(normalizePath('/a#b?c')).toBe('/a%23b%3Fc')
  })

  it('refuses invalid percent-encoding, NUL, relative and oversized paths with MELIPROXY_ERR_BAD_PATH', () => {
    for (const bad of ['/%zz', '/%4', '/a%', '/a%4/', '/%g1', '/%00', '/a\u0000b', '', 'items/X', '*']) {
      expect(codeOf(() => normalizePath(bad)), JSON.stringify(bad)).toBe('MELIPROXY_ERR_BAD_PATH')
      expect(normalizePathOrNull(bad)).toBeNull()
    }
    const longest = `/${'a'.repeat(MAX_PATH_LENGTH - 1)}`
    expect(normalizePath(longest)).toBe(longest)
    expect(codeOf(() => normalizePath(`${longest}a`))).toBe('MELIPROXY_ERR_BAD_PATH')
  })

  it('is idempotent and never leaves "//", dot segments or lower-case escapes (property)', () => {
    const pathChar = fc.constantFrom('a', 'Z', '0', '.', '/', '%', '2', 'e', 'E', 'f', '4', '1', '~', ' ', 'é', '|', ';')
    fc.assert(
      fc.property(fc.array(pathChar, { maxLength: 40 }), (chars) => {
        const normal = normalizePathOrNull(`/${chars.join('')}`)
        if (normal === null) return
        expect(normalizePath(normal)).toBe(normal)
        expect(normal.startsWith('/')).toBe(true)
        expect(normal).not.toMatch(/\/\/|\/\.\.?(\/|$)|%[0-9A-F]?[a-f]/)
      }),
      { numRuns: 3000 },
    )
  })

  it('gives the same path however unreserved characters are encoded (property)', () => {
    const unreserved = fc.constantFrom(...'AZaz09-._~'.split(''))
    const segment = fc.array(fc.tuple(unreserved, fc.integer({ min: 0, max: 2 })), { minLength: 1, maxLength: 8 })
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (segments) => {
        const plain = segments.map((s) => s.map(([c]) => c).join('')).join('/')
        const encoded = segments
          .map((s) =>
            s
              .map(([c, how]) => {
                const hex = c.charCodeAt(0).toString(16)
                return how === 0 ? c : how === 1 ? `%${hex.toUpperCase()}` : `%${hex.toLowerCase()}`
              })
              .join(''),
          )
          .join('/')
        expect(normalizePath(`/${encoded}`)).toBe(normalizePath(`/${plain}`))
      }),
      { numRuns: 2000 },
    )
  })
})
