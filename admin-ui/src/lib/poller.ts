// Runs a task now and then again `intervalMs` after each run ends (never two at once, so a slow node cannot pile up
// requests). While the page is hidden nothing runs; when it shows again the task runs at once, so the view is never
// older than one interval after the operator looks at it.

/** The part of `document` the poller watches; absent (tests, workers), the page counts as always visible. */
export interface VisibilitySource {
  readonly hidden: boolean
  addEventListener(type: 'visibilitychange', listener: () => void): void
  removeEventListener(type: 'visibilitychange', listener: () => void): void
}

export interface PollerOptions {
  intervalMs: number
  /** One run. `signal` aborts when the poller stops or a refresh overtakes this run; errors are the task's to handle. */
  task: (signal: AbortSignal) => Promise<void>
  visibility?: VisibilitySource | null
}

export class Poller {
  readonly #intervalMs: number
  readonly #task: (signal: AbortSignal) => Promise<void>
  readonly #visibility: VisibilitySource | null
  #timer: ReturnType<typeof setTimeout> | undefined
  #running: AbortController | null = null
  #started = false

  constructor(options: PollerOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${options.intervalMs}`)
    this.#intervalMs = options.intervalMs
    this.#task = options.task
    this.#visibility = options.visibility ?? null
  }

  get started(): boolean {
    return this.#started
  }

  /** Runs the task now (unless the page is hidden) and keeps polling until stop(). Calling it twice does nothing. */
  start(): void {
    if (this.#started) return
    this.#started = true
    this.#visibility?.addEventListener('visibilitychange', this.#onVisibility)
    this.#runSoon(0)
  }

  /** Aborts the run in flight and cancels the next one. */
  stop(): void {
    if (!this.#started) return
    this.#started = false
    this.#visibility?.removeEventListener('visibilitychange', this.#onVisibility)
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#running?.abort()
    this.#running = null
  }

  /** Runs the task now, aborting a run in flight (its parameters changed, or the user asked). */
  refresh(): void {
    if (!this.#started) return
    this.#running?.abort()
    this.#running = null
    this.#runSoon(0)
  }

  readonly #onVisibility = (): void => {
    if (this.#hidden()) {
      clearTimeout(this.#timer)
      this.#timer = undefined
    } else if (this.#running === null) {
      this.#runSoon(0)
    }
  }

  #runSoon(delayMs: number): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#run()
    }, delayMs)
  }

  async #run(): Promise<void> {
    if (!this.#started || this.#hidden()) return
    const controller = new AbortController()
    this.#running = controller
    try {
      await this.#task(controller.signal)
    } catch {
      // The task reports its own errors; a throw must not end the polling.
    }
    if (this.#running !== controller) return
    this.#running = null
    if (this.#started && !this.#hidden()) this.#runSoon(this.#intervalMs)
  }

  #hidden(): boolean {
    return this.#visibility?.hidden === true
  }
}
