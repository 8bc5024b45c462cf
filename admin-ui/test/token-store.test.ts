import { describe, expect, it } from 'vitest'
import { MAX_TOKEN_LENGTH, TOKEN_STORAGE_KEY, TokenStore, type TokenStorage } from '../src/lib/token-store.js'

function storage(): TokenStorage & { map: Map<string, string> } {
  const map = new Map<string, string>()
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) }
}

describe('token store', () => {
  it('keeps the trimmed token in session storage and clears it', () => {
    const s = storage()
    const store = new TokenStore(s)
    store.set('  abc-0123456789  ')
    expect(s.map.get(TOKEN_STORAGE_KEY)).toBe('abc-0123456789')
    expect(new TokenStore(s).get()).toBe('abc-0123456789')
    store.clear()
    expect(store.get()).toBeNull()
  })

  it('treats an empty token as none', () => {
    const store = new TokenStore(storage())
    store.set('x-0123456789')
    store.set('   ')
    expect(store.get()).toBeNull()
  })

  it('refuses a token longer than the limit and keeps the previous one', () => {
    const store = new TokenStore(storage())
    store.set('kept-0123456789')
    expect(() => store.set('x'.repeat(MAX_TOKEN_LENGTH + 1))).toThrow(RangeError)
    expect(store.get()).toBe('kept-0123456789')
    store.set('y'.repeat(MAX_TOKEN_LENGTH))
    expect(store.get()).toHaveLength(MAX_TOKEN_LENGTH)
  })

  it('still works for the page when storage throws (privacy modes)', () => {
    const broken: TokenStorage = {
      getItem: () => {
        throw new Error('denied')
      },
      setItem: () => {
        throw new Error('denied')
      },
      removeItem: () => {
        throw new Error('denied')
      },
    }
    const store = new TokenStore(broken)
    store.set('mem-0123456789')
    expect(store.get()).toBe('mem-0123456789')
    const none = new TokenStore(null)
    none.set('mem-0123456789')
    expect(none.get()).toBe('mem-0123456789')
  })
})
