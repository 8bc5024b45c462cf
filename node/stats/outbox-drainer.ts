// Moves closed buckets from the LMDB outbox to a sink (MongoDB), off the hot path.
//
// One drain at a time: read a batch of outbox entries, load their current buckets from LMDB (an entry whose
// bucket retention already deleted is dropped), write them, and on acknowledgement remove exactly the entries
// read (ackOutbox keeps any entry re-queued meanwhile). A failure, or a write not acknowledged within the
// timeout, schedules the next attempt after a doubling delay (base … max, ±20 % jitter) and resets to base
// after a success. A write that timed out is still awaited (the driver's own timeouts end it) before the next
// one starts (bounded: each wait is one more timeout), so an old write cannot land after a newer one. The outbox lives in LMDB, so pending buckets survive restarts, and retention bounds it.
// record() never waits on any of this.
import { StatsSinkTimeoutError } from './errors.js'
import type { StatsSink } from './stats-sink.js'
import type { StatsLogger } from './stats-options.js'
import type { StatsBucket } from './stats-bucket.js'
import type { OutboxItem, StatsStore } from './stats-store.js'

export interface OutboxDrainerOptions {
  store: StatsStore
  sink: StatsSink
  logger: StatsLogger
  backoffMs: { base: number; max: number }
  batchSize: number
  writeTimeoutMs: number
  random?: () => number
}

export interface OutboxStatus {
  pending: number
  /** Consecutive failed attempts (0 after a success). */
  failures: number
  lastError: string | null
  lastSuccessAt: number | null
}

export class OutboxDrainer {
  private running: Promise<void> | null = null
  /** The sink call last started, settled or not: the next one waits for it (see the file comment). */
  private inflight: Promise<unknown> | null = null
  private retryTimer: NodeJS.Timeout | null = null
  private opened = false
  private stopped = false
  private again = false
  private failures = 0
  private lastError: string | null = null
  private lastSuccessAt: number | null = null
  private readonly random: () => number

  constructor(private readonly opts: OutboxDrainerOptions) {
    this.random = opts.random ?? Math.random
  }

  status(): OutboxStatus {
    return { pending: this.opts.store.outboxSize(), failures: this.failures, lastError: this.lastError, lastSuccessAt: this.lastSuccessAt }
  }

  /** Asks for a drain soon. While backing off after a failure, waits for the scheduled retry instead. */
  kick(): void {
    if (this.stopped || this.retryTimer !== null) return
    if (this.running !== null) {
      this.again = true
      return
    }
    this.running = this.drain().finally(() => {
      this.running = null
      if (this.again && this.retryTimer === null) {
        this.again = false
        this.kick()
      }
    })
  }

  /** Resolves when the drain in progress (if any) has finished. */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running
  }

  /** Stops retrying, waits for a write in flight, and closes the sink. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    this.retryTimer = null
    await this.idle()
    // A sink call still running after its timeout gets one more timeout's worth of time, then is abandoned.
    if (this.inflight !== null) await this.withTimeout(this.inflight).catch(() => undefined)
    try {
      await this.withTimeout(this.opts.sink.close())
    } catch (err) {
      this.opts.logger.warn({ err }, 'closing the stats sink failed')
    }
  }

  private async drain(): Promise<void> {
    try {
      if (this.inflight !== null) await this.withTimeout(this.inflight)
      if (!this.opened) {
        await this.withTimeout(this.track(this.opts.sink.open()))
        this.opened = true
      }
      while (!this.stopped) {
        const batch = this.opts.store.outboxBatch(this.opts.batchSize)
        if (batch.length === 0) break
        const minutes: StatsBucket[] = []
        const hours: StatsBucket[] = []
        const delivered: OutboxItem[] = []
        for (const item of batch) {
          const bucket = this.opts.store.get(item.resolution, item.start)
          if (bucket === undefined) {
            await this.opts.store.dropOutbox(item)
            continue
          }
          ;(item.resolution === 'minute' ? minutes : hours).push(bucket)
          delivered.push(item)
        }
        if (delivered.length === 0) continue
        await this.withTimeout(this.track(this.opts.sink.write(minutes, hours)))
        if (this.failures > 0) this.opts.logger.info({ afterFailures: this.failures }, 'stats sink reachable again')
        this.failures = 0
        this.lastError = null
        this.lastSuccessAt = Date.now()
        await this.opts.store.ackOutbox(delivered)
      }
    } catch (err) {
      this.failures++
      this.lastError = err instanceof Error ? err.message : String(err)
      const delay = this.backoffDelay()
      // First failure and then every 10th: a sink down for hours must not flood the log.
      if (this.failures === 1 || this.failures % 10 === 0) {
        this.opts.logger.warn({ err, failures: this.failures, retryInMs: delay, pending: this.opts.store.outboxSize() }, 'stats sink write failed; buckets stay in the outbox')
      }
      if (!this.stopped) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null
          this.kick()
        }, delay)
        this.retryTimer.unref()
      }
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    const settled = p.then(
      () => undefined,
      () => undefined,
    )
    this.inflight = settled
    void settled.then(() => {
      if (this.inflight === settled) this.inflight = null
    })
    return p
  }

  private backoffDelay(): number {
    const { base, max } = this.opts.backoffMs
    const raw = Math.min(max, base * 2 ** Math.min(this.failures - 1, 30))
    return Math.max(1, Math.round(raw * (0.8 + 0.4 * this.random())))
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    const ms = this.opts.writeTimeoutMs
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StatsSinkTimeoutError(ms)), ms)
      timer.unref()
    })
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
  }
}
