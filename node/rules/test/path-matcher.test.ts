import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type GlobSegment, parsePathGlob } from '../path-glob.js'
import { PathTrie } from '../path-matcher.js'
import { bitsetWords, hasBit } from '../rule-bitset.js'
import { segmentHash } from '../segment-hash.js'

function segmentsOf(glob: string): readonly GlobSegment[] {
  const parsed = parsePathGlob(glob)
  if (!parsed.ok) throw new Error(`${glob}: ${parsed.problem}`)
  return parsed.segments
}

/** Which of `globs` match `path`, through one shared trie. */
function matching(globs: readonly string[], path: string): string[] {
  const trie = new PathTrie(bitsetWords(globs.length))
  globs.forEach((g, i) => trie.add(segmentsOf(g), i))
  const out = new Uint32Array(bitsetWords(globs.length))
  trie.match(path, out)
  return globs.filter((_, i) => hasBit(out, i))
}

const matches = (glob: string, path: string) => matching([glob], path).length === 1

describe('path globs', () => {
  it('"*" is exactly one segment', () => {
    expect(matches('/items/*', '/items/MLA1')).toBe(true)
    expect(matches('/items/*', '/items')).toBe(false)
    expect(matches('/items/*', '/items/')).toBe(false)
    expect(matches('/items/*', '/items/MLA1/pictures')).toBe(false)
    expect(matches('/items/*/pictures', '/items/MLA1/pictures')).toBe(true)
    expect(matches('/*', '/anything')).toBe(true)
    expect(matches('/*', '/')).toBe(false)
  })

  it('"**" is any depth, zero included', () => {
    expect(matches('/items/**', '/items')).toBe(true)
    expect(matches('/items/**', '/items/MLA1')).toBe(true)
    expect(matches('/items/**', '/items/MLA1/pictures/2')).toBe(true)
    expect(matches('/items/**', '/itemsX')).toBe(false)
    expect(matches('/**/pictures', '/pictures')).toBe(true)
    expect(matches('/**/pictures', '/items/MLA1/pictures')).toBe(true)
    expect(matches('/**/pictures', '/items/MLA1/pictures/2')).toBe(false)
    expect(matches('/a/**/b/**/c', '/a/x/b/y/z/c')).toBe(true)
    expect(matches('/a/**/b/**/c', '/a/b/c')).toBe(true)
    expect(matches('/a/**/b/**/c', '/a/c/b')).toBe(false)
    expect(matches('/**', '/')).toBe(true)
    expect(matches('/**', '/x/y')).toBe(true)
  })

  it('literal segments compare exactly, case included', () => {
    expect(matches('/categories/MLA97994', '/categories/MLA97994')).toBe(true)
    expect(matches('/categories/MLA97994', '/categories/mla97994')).toBe(false)
    expect(matches('/categories/MLA97994', '/categories/MLA9799')).toBe(false)
    expect(matches('/categories/MLA97994', '/categories/MLA979945')).toBe(false)
    expect(matches('/categories', '/categories/MLA97994')).toBe(false)
  })

  it('a trailing slash is not significant, on either side', () => {
    expect(matches('/items/*', '/items/MLA1/')).toBe(true)
    expect(matches('/items/', '/items')).toBe(true)
    expect(matches('/items', '/items/')).toBe(true)
    expect(matches('/items/*/', '/items/MLA1')).toBe(true)
  })

  it('"/" is the root only', () => {
    expect(matches('/', '/')).toBe(true)
    expect(matches('/', '/a')).toBe(false)
  })

  it('compares literal segments in normalised form', () => {
    expect(matches('/it%65ms/*', '/items/X')).toBe(true)
    expect(matches('/caf%c3%a9', '/caf%C3%A9')).toBe(true)
    expect(matches('/café', '/caf%C3%A9')).toBe(true)
  })

  it('finds every matching rule in one walk of a shared trie', () => {
    const globs = ['/items/*', '/items/**', '/**', '/items/MLA1', '/categories/*', '/*/MLA1', '/']
    expect(matching(globs, '/items/MLA1')).toEqual(['/items/*', '/items/**', '/**', '/items/MLA1', '/*/MLA1'])
    expect(matching(globs, '/categories/MLA1')).toEqual(['/**', '/categories/*', '/*/MLA1'])
    expect(matching(globs, '/')).toEqual(['/**', '/'])
    expect(matching(globs, '/users/1/x')).toEqual(['/**'])
  })

  it('tells apart literal segments whose hashes collide', () => {
    // Birthday search for two segment names with the same 32-bit hash (expected after ~80k names).
    const seen = new Map<number, string>()
    let pair: [string, string] | undefined
    for (let i = 0; pair === undefined; i++) {
      const name = i.toString(36)
      const h = segmentHash(name, 0, name.length)
      const other = seen.get(h)
      if (other !== undefined) pair = [other, name]
      else seen.set(h, name)
    }
    const [a, b] = pair
    expect(segmentHash(a, 0, a.length)).toBe(segmentHash(b, 0, b.length))
    const globs = [`/s/${a}`, `/s/${b}`, `/s/${a}/x`]
    expect(matching(globs, `/s/${a}`)).toEqual([`/s/${a}`])
    expect(matching(globs, `/s/${b}`)).toEqual([`/s/${b}`])
    expect(matching(globs, `/s/${a}/x`)).toEqual([`/s/${a}/x`])
    expect(matching(globs, `/s/${b}/x`)).toEqual([])
  })

  it('rejects globs that could never match, saying why', () => {
    expect(parsePathGlob('items/*')).toEqual({ ok: false, problem: 'must start with "/"' })
    expect(parsePathGlob('/a/**b')).toEqual({ ok: false, problem: '* and ** must be a whole segment' })
    expect(parsePathGlob('/a*/b')).toEqual({ ok: false, problem: '* and ** must be a whole segment' })
    expect(parsePathGlob('/a//b')).toEqual({ ok: false, problem: 'empty segment "//"' })
    expect(parsePathGlob('/a/../b')).toEqual({ ok: false, problem: 'dot segments never match a normalised path' })
    expect(parsePathGlob('/a/%2E')).toEqual({ ok: false, problem: 'dot segments never match a normalised path' })
    expect(parsePathGlob('/a/%zz')).toEqual({ ok: false, problem: 'invalid percent-encoding at offset 1' })
  })

  it('agrees with a reference backtracking matcher (property)', () => {
    const reference = (glob: readonly GlobSegment[], segs: readonly string[]): boolean => {
      if (glob.length === 0) return segs.length === 0
      const [g, ...rest] = glob as [GlobSegment, ...GlobSegment[]]
      if (g.kind === 'globstar') {
        for (let k = 0; k <= segs.length; k++) if (reference(rest, segs.slice(k))) return true
        return false
      }
      if (segs.length === 0) return false
      if (g.kind === 'star') return reference(rest, segs.slice(1))
      return g.text === segs[0] && reference(rest, segs.slice(1))
    }
    const globSeg = fc.constantFrom('a', 'b', 'ab', '*', '**')
    const glob = fc.array(globSeg, { maxLength: 6 }).map((s) => `/${s.join('/')}`)
    const path = fc.array(fc.constantFrom('a', 'b', 'ab', 'c'), { maxLength: 7 }).map((s) => `/${s.join('/')}`)
    fc.assert(
      fc.property(fc.array(glob, { minLength: 1, maxLength: 8 }), path, (globs, p) => {
        const segs = p.split('/').filter((s) => s !== '')
        const expected = globs.filter((g) => reference(segmentsOf(g), segs))
        expect(matching(globs, p)).toEqual(expected)
      }),
      { numRuns: 3000 },
    )
  })
})
