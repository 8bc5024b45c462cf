// Book-keeping for responses that do not end inside their uWS handler (delays, streams, stalls).
// uWS forbids touching an HttpResponse after its onAborted fired, so every async response goes through
// a PendingResponse: `open` says whether it may still be written, its timer and stream hooks are
// cleared on abort, and an abort caused by the client (not by the origin closing) is counted.
import type { HttpResponse } from '@trufflesuite/uws-js-unofficial'
import type { OriginEventRecorder } from './origin-events.js'

export class PendingResponse {
  /** False once the response ended, was aborted, or the origin closed it. */
  open = true
  timer: NodeJS.Timeout | undefined = undefined
  /** Extra clean-up run once when the response is aborted (e.g. stop a stream). */
  onAbort: (() => void) | undefined = undefined
  readonly res: HttpResponse
  readonly path: string
  private readonly owner: PendingResponses

  constructor(owner: PendingResponses, res: HttpResponse, path: string) {
    this.owner = owner
    this.res = res
    this.path = path
  }

  /** The response ended normally; never touch `res` again. */
  finish(): void {
    if (!this.open) return
    this.open = false
    this.clearTimer()
    this.owner.forget(this)
  }

  /** Closes the connection from the origin's side; not counted as a client abort. */
  closeByOrigin(): void {
    if (!this.open) return
    this.open = false
    this.clearTimer()
    this.owner.forget(this)
    this.res.close()
  }

  /** Runs `fn` after `ms` unless the response is gone by then; `fn` runs corked. */
  after(ms: number, fn: () => void): void {
    this.clearTimer()
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (this.open) this.res.cork(fn)
    }, ms)
  }

  /** Called by uWS through onAborted. */
  aborted(): void {
    if (!this.open) return
    this.open = false
    this.clearTimer()
    this.owner.forget(this)
    const hook = this.onAbort
    this.onAbort = undefined
    if (hook !== undefined) hook()
    this.owner.abortedByClient(this)
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
  }
}

export class PendingResponses {
  private readonly live = new Set<PendingResponse>()
  private closing = false
  private readonly events: OriginEventRecorder

  constructor(events: OriginEventRecorder) {
    this.events = events
  }

  get size(): number {
    return this.live.size
  }

  /** Registers `res` as pending; must be called inside the uWS handler, before it returns. */
  begin(res: HttpResponse, path: string): PendingResponse {
    const p = new PendingResponse(this, res, path)
    res.onAborted(() => p.aborted())
    this.live.add(p)
    return p
  }

  forget(p: PendingResponse): void {
    this.live.delete(p)
  }

  abortedByClient(p: PendingResponse): void {
    if (!this.closing) this.events.recordAborted(p.path)
  }

  /** The origin is shutting down: stop every timer; the sockets are closed by the caller (app.close()). */
  shutDown(): void {
    this.closing = true
    for (const p of this.live) {
      p.open = false
      if (p.timer !== undefined) clearTimeout(p.timer)
      p.timer = undefined
    }
    this.live.clear()
  }
}
