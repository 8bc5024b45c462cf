// A polled piece of API data as reactive state: the last good answer, when it came, and the error of the latest
// attempt. A failed refresh keeps the last good data (views show it as stale) instead of blanking the page.

import { Poller, type VisibilitySource } from './poller.js'

export interface FeedOptions<T> {
  load: (signal: AbortSignal) => Promise<T>
  intervalMs: number
  visibility?: VisibilitySource | null
  /** Clock for `lastOkAt`; default Date.now. */
  now?: () => number
}

export class Feed<T> {
  /** The last successful answer; raw state because answers are replaced whole, never mutated. */
  data = $state.raw<T | null>(null)
  /** The error of the latest attempt, null after a success. */
  error = $state.raw<Error | null>(null)
  lastOkAt = $state<number | null>(null)

  readonly #load: (signal: AbortSignal) => Promise<T>
  readonly #now: () => number
  readonly #poller: Poller

  constructor(options: FeedOptions<T>) {
    this.#load = options.load
    this.#now = options.now ?? Date.now
    this.#poller = new Poller({
      intervalMs: options.intervalMs,
      visibility: options.visibility ?? null,
      task: (signal) => this.#attempt(signal),
    })
  }

  start(): void {
    this.#poller.start()
  }

  stop(): void {
    this.#poller.stop()
  }

  /** Loads again now (e.g. after a change was saved). */
  refresh(): void {
    this.#poller.refresh()
  }

  /** Forgets the data (the question changed, e.g. another range) and loads again now. */
  reset(): void {
    this.data = null
    this.error = null
    this.lastOkAt = null
    this.#poller.refresh()
  }

  async #attempt(signal: AbortSignal): Promise<void> {
    try {
      const data = await this.#load(signal)
      if (signal.aborted) return
      this.data = data
      this.error = null
      this.lastOkAt = this.#now()
    } catch (error) {
      if (signal.aborted) return
      this.error = error instanceof Error ? error : new Error(String(error))
    }
  }
}

/** `document` when there is one. */
export function pageVisibility(): VisibilitySource | null {
  return typeof document === 'undefined' ? null : document
}
