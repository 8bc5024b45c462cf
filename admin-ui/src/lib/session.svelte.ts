// What every view shares: the API client, the admin token and its prompt. The client calls requestToken() on a 401;
// the first such call opens the prompt and every 401 that arrives while it is open waits on the same answer, so
// polling views never stack prompts.

import { AdminClient, type FetchLike } from './api.js'
import { TokenStore, type TokenStorage } from './token-store.js'

export interface TokenPromptState {
  /** A token was sent and refused (as opposed to: none was given yet). */
  rejected: boolean
}

export interface AdminSessionOptions {
  fetch: FetchLike
  storage: TokenStorage | null
  baseUrl?: string
  timeoutMs?: number
}

export class AdminSession {
  /** Non-null while the token prompt should be shown. */
  prompt = $state<TokenPromptState | null>(null)
  /** Bumped when the token changes, so views that failed for want of one load again. */
  tokenVersion = $state(0)
  hasToken = $state(false)

  readonly tokens: TokenStore
  readonly client: AdminClient
  #answer: ((ok: boolean) => void) | null = null
  #pending: Promise<boolean> | null = null

  constructor(options: AdminSessionOptions) {
    this.tokens = new TokenStore(options.storage)
    this.hasToken = this.tokens.get() !== null
    this.client = new AdminClient({
      fetch: options.fetch,
      token: () => this.tokens.get(),
      onUnauthorized: (rejected) => this.requestToken(rejected),
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
    })
  }

  /**
   * Resolves true once a token other than `rejected` is available (at once if it already is: another request's
   * prompt got one meanwhile), false if the user dismisses the prompt.
   */
  requestToken(rejected: string | null): Promise<boolean> {
    const current = this.tokens.get()
    if (current !== null && current !== rejected) return Promise.resolve(true)
    if (rejected !== null) {
      this.tokens.clear()
      this.hasToken = false
    }
    return this.#open(rejected !== null)
  }

  /** The prompt's answer. Throws RangeError for an over-long token (the prompt shows it). */
  submitToken(token: string): void {
    this.tokens.set(token)
    const ok = this.tokens.get() !== null
    this.hasToken = ok
    if (!ok) return
    this.tokenVersion++
    this.#settle(true)
  }

  dismissPrompt(): void {
    this.#settle(false)
  }

  /** Opens the prompt on request (the "Enter token" buttons); views reload on tokenVersion. */
  askForToken(): void {
    void this.#open(false)
  }

  forgetToken(): void {
    this.tokens.clear()
    this.hasToken = false
    this.tokenVersion++
  }

  #open(rejected: boolean): Promise<boolean> {
    if (this.#pending !== null) return this.#pending
    this.prompt = { rejected }
    this.#pending = new Promise<boolean>((resolve) => {
      this.#answer = resolve
    })
    return this.#pending
  }

  #settle(ok: boolean): void {
    const answer = this.#answer
    this.#answer = null
    this.#pending = null
    this.prompt = null
    answer?.(ok)
  }
}
