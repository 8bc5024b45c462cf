// The admin token is asked for once and kept for the browser session (sessionStorage): it survives reloads of the
// tab but not closing it, and never lands in localStorage or a cookie.

/** The part of the Web Storage API the store uses; sessionStorage in the browser, a Map-backed fake in tests. */
export interface TokenStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

export const TOKEN_STORAGE_KEY = 'meliproxy.adminToken'

/** Longest token accepted from the prompt; cluster.yml tokens are far shorter, this only stops pasted garbage. */
export const MAX_TOKEN_LENGTH = 4096

export class TokenStore {
  #memory: string | null = null

  /** `storage` may be null (storage disabled by the browser): the token then lives in memory for this page only. */
  constructor(private readonly storage: TokenStorage | null) {}

  get(): string | null {
    if (this.storage === null) return this.#memory
    try {
      return this.storage.getItem(TOKEN_STORAGE_KEY) ?? this.#memory
    } catch {
      return this.#memory
    }
  }

  /** Trims the token; an empty one clears it. Throws RangeError past MAX_TOKEN_LENGTH. */
  set(token: string): void {
    const value = token.trim()
    if (value.length > MAX_TOKEN_LENGTH) throw new RangeError(`an admin token is at most ${MAX_TOKEN_LENGTH} characters`)
    if (value === '') return this.clear()
    this.#memory = value
    try {
      this.storage?.setItem(TOKEN_STORAGE_KEY, value)
    } catch {
      // Storage full or disabled: the in-memory copy still serves this page.
    }
  }

  clear(): void {
    this.#memory = null
    try {
      this.storage?.removeItem(TOKEN_STORAGE_KEY)
    } catch {
      // Nothing more can be done; the in-memory copy is gone.
    }
  }
}

/** sessionStorage when the browser allows it (some privacy modes throw on access), else null. */
export function browserSessionStorage(): TokenStorage | null {
  try {
    return globalThis.sessionStorage ?? null
  } catch {
    return null
  }
}
