import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { categoryJson, isItemOrCategoryId, isUserId, itemJson, searchJson, siteJson, userJson } from '../meli-resources.js'
import { allMeliSites, meliSite } from '../meli-sites.js'

const siteCode = fc.constantFrom('MLA', 'MLB', 'MLM', 'MLC', 'MLU', 'MCO', 'MPE', 'MEC')
const meliId = fc.tuple(siteCode, fc.integer({ min: 0, max: 999_999_999_999 })).map(([s, n]) => `${s}${n}`)

describe('generated Meli resources', () => {
  it('are valid JSON naming the id they were asked for, identical on every call', () => {
    fc.assert(
      fc.property(meliId, (id) => {
        for (const gen of [categoryJson, itemJson]) {
          const text = gen(id)
          expect(gen(id)).toBe(text)
          expect((JSON.parse(text) as { id: string }).id).toBe(id)
          const size = Buffer.byteLength(text)
          expect(size).toBeGreaterThanOrEqual(500)
          expect(size).toBeLessThanOrEqual(4096)
        }
      }),
      { numRuns: 300 },
    )
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999_999 }), (n) => {
        const text = userJson(String(n))
        expect((JSON.parse(text) as { id: number }).id).toBe(n)
        expect(Buffer.byteLength(text)).toBeGreaterThanOrEqual(500)
      }),
      { numRuns: 200 },
    )
  })

  it('search is deterministic per (site, q, offset, limit) and honours limit', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 50 }), (q, offset, limit) => {
        const site = meliSite('MLA')!
        const text = searchJson(site, q, offset, limit)
        expect(searchJson(site, q, offset, limit)).toBe(text)
        const body = JSON.parse(text) as { query: string; results: unknown[]; paging: { offset: number; limit: number } }
        expect(body.query).toBe(q)
        expect(body.paging).toMatchObject({ offset, limit })
        expect(body.results.length).toBeLessThanOrEqual(limit)
      }),
      { numRuns: 200 },
    )
  })

  it('every site has a site document in its currency', () => {
    for (const site of allMeliSites()) {
      const body = JSON.parse(siteJson(site)) as { id: string; default_currency_id: string }
      expect(body).toMatchObject({ id: site.id, default_currency_id: site.currencyId })
    }
  })

  it('tells Meli ids from other strings', () => {
    for (const ok of ['MLA97994', 'MLB1', 'MLZ123', 'MCO1234', 'MPE99']) expect(isItemOrCategoryId(ok), ok).toBe(true)
    for (const bad of ['', 'MLA', 'mla1', 'MLA1a', 'XYZ1', 'ML1', 'MLA-1', 'MLA1234567890123456', 'MCX1']) expect(isItemOrCategoryId(bad), bad).toBe(false)
    for (const ok of ['1', '123456789012']) expect(isUserId(ok)).toBe(true)
    for (const bad of ['', 'a1', '1234567890123', '-1']) expect(isUserId(bad)).toBe(false)
  })
})
