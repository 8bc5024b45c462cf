// Per-node usage statistics: the hot path counts into memory, timers move the counts to LMDB and (optionally)
// MongoDB.
//
// - record*() only add to the in-progress minute (MinuteAccumulator): no clock read, no I/O, no allocation in
//   the common case. A request is counted in the minute that is in progress when it is recorded; the minute
//   rolls over on a timer armed for the minute boundary, so a request recorded just after a boundary can land
//   in the previous minute by the timer's lateness (milliseconds).
// - Every flushIntervalMs the running totals of the in-progress minute overwrite its LMDB record, so a SIGKILL
//   loses at most one interval. On open, the current minute continues from its stored record (a restart within
//   the minute neither loses nor double counts), and minutes a crash left unclosed are rolled up.
// - When a minute closes it is stored for good and added to its hour bucket in one transaction; closed minutes
//   and changed hours go through the LMDB outbox to the sink (MongoDB) with retries (outbox-drainer.ts).
// - Retention runs at open and at every minute rollover.
import { StatsClosedError, StatsConfigError, StatsMongoNotConfiguredError, StatsQueryError } from './errors.js'
import { MinuteAccumulator } from './minute-accumulator.js'
import { addBuckets } from './merge-buckets.js'
import { MongoStatsSink } from './mongo-sink.js'
import type { Outcome } from './outcome.js'
import { OutboxDrainer, type OutboxStatus } from './outbox-drainer.js'
import { RateSampler } from './rate-sampler.js'
import {
  alignTo,
  emptyBucket,
  HOUR_MS,
  MINUTE_MS,
  type StatsBucket,
  type StatsQuery,
} from './stats-bucket.js'
import { resolveStatsOptions, STATS_DEFAULTS, type ResolvedStatsOptions, type StatsOptions } from './stats-options.js'
import type { StatsSink } from './stats-sink.js'
import { StatsStore } from './stats-store.js'

/** One request's numbers, for callers that prefer an object (record() takes them positionally). */
export interface RequestSample {
  outcome: Outcome
  status: number
  bytesIn: number
  bytesOut: number
  totalMicros: number
  upstreamMicros: number
}

export interface LiveStats {
  node: string
  nodeName: string
  /** When this snapshot was taken (ms since the epoch). */
  at: number
  /** Requests recorded per second over the last `windowMs` (≈ 5 s; 0 just after open). */
  requestsPerSecond: number
  windowMs: number
  /** The minute in progress, so far. */
  minute: StatsBucket
  /** Outbox towards MongoDB (or another sink); null when none is configured. */
  sink: OutboxStatus | null
}

const RATE_SAMPLE_MS = 1000

export class NodeStats {
  private closedTotal = 0
  private flushedVersion = -1
  private tickTimer: NodeJS.Timeout | null = null
  private sampleTimer: NodeJS.Timeout | null = null
  private closing: Promise<void> | null = null
  private readonly pending = new Set<Promise<unknown>>()
  private readonly sampler = new RateSampler()
  private readonly now: () => number

  private constructor(
    private readonly opts: ResolvedStatsOptions,
    private readonly store: StatsStore,
    private readonly acc: MinuteAccumulator,
    private readonly mongo: MongoStatsSink | null,
    private readonly drainer: OutboxDrainer | null,
  ) {
    this.now = opts.now
  }

  /** Opens (or creates) the LMDB store, recovers, applies retention and starts the flush and sink timers. */
  static async open(options: StatsOptions): Promise<NodeStats> {
    const opts = resolveStatsOptions(options)
    let mongo: MongoStatsSink | null = null
    if (opts.mongo !== undefined) {
      try {
        mongo = new MongoStatsSink({
          uri: opts.mongo.uri,
          database: opts.mongo.database ?? STATS_DEFAULTS.mongoDatabase,
          collectionPrefix: opts.mongo.collectionPrefix ?? STATS_DEFAULTS.mongoCollectionPrefix,
          nodeName: opts.nodeName,
          maxTopKeys: opts.maxTopKeys,
        })
      } catch (err) {
        // The URI may hold a password: name the field and the driver's reason, never the value.
        throw new StatsConfigError('stats.mongo.uri', '(hidden)', `is not a valid MongoDB URI: ${(err as Error).message}`)
      }
    }
    const sink: StatsSink | null = mongo ?? opts.sink ?? null
    const store = StatsStore.open({ dataDir: opts.dataDir, maxTopKeys: opts.maxTopKeys, outbox: sink !== null, logger: opts.logger })
    try {
      return await NodeStats.start(opts, store, sink, mongo)
    } catch (err) {
      await store.close().catch(() => undefined)
      await mongo?.close().catch(() => undefined)
      throw err
    }
  }

  private static async start(opts: ResolvedStatsOptions, store: StatsStore, sink: StatsSink | null, mongo: MongoStatsSink | null): Promise<NodeStats> {
    const now = opts.now()
    // Never reopen a minute that was already closed (the clock may have gone back across a restart).
    const start = Math.max(alignTo(now, 'minute'), store.rolledThrough() + MINUTE_MS)
    const recovered = await store.recoverUnrolled(start)
    const acc = new MinuteAccumulator(start, opts.maxTopKeys, opts.maxRules)
    const current = store.get('minute', start)
    if (current !== undefined) acc.load(current)
    const drainer =
      sink === null
        ? null
        : new OutboxDrainer({
            store,
            sink,
            logger: opts.logger,
            backoffMs: opts.sinkBackoffMs,
            batchSize: STATS_DEFAULTS.sinkBatchSize,
            writeTimeoutMs: STATS_DEFAULTS.sinkWriteTimeoutMs,
          })
    const stats = new NodeStats(opts, store, acc, mongo, drainer)
    await stats.applyRetention(now)
    stats.flushedVersion = acc.version
    stats.sampler.sample(now, acc.total)
    stats.scheduleTick()
    stats.sampleTimer = setInterval(() => stats.sampler.sample(stats.now(), stats.closedTotal + stats.acc.total), RATE_SAMPLE_MS)
    stats.sampleTimer.unref()
    drainer?.kick()
    opts.logger.info(
      { node: opts.nodeId, dir: StatsStore.pathOf(opts.dataDir), recoveredMinutes: recovered, continuedRequests: current?.total ?? 0, sink: mongo ? 'mongodb' : sink ? 'custom' : 'none' },
      'stats store open',
    )
    return stats
  }

  /** Counts one request in the current minute. O(1), no I/O; ignored after close(). */
  record(outcome: Outcome, status: number, bytesIn: number, bytesOut: number, totalMicros: number, upstreamMicros: number): void {
    this.acc.record(outcome, status, bytesIn, bytesOut, totalMicros, upstreamMicros)
  }

  /** record() for a RequestSample. */
  recordSample(s: RequestSample): void {
    this.acc.record(s.outcome, s.status, s.bytesIn, s.bytesOut, s.totalMicros, s.upstreamMicros)
  }

  /** Counts one decision of a rule (a shadow-mode rejection counts as limited). */
  recordRule(ruleId: string, admitted: boolean): void {
    this.acc.recordRule(ruleId, admitted)
  }

  /** Counts one rejection of `key` by `ruleId` in the heavy-hitters summary. */
  recordLimitedKey(ruleId: string, key: string): void {
    this.acc.recordLimitedKey(ruleId, key)
  }

  /**
   * This node's buckets overlapping [q.from, q.to), oldest first, from LMDB; the minute in progress (and, for
   * hours, the current hour) include counts not yet flushed.
   */
  async query(q: StatsQuery): Promise<StatsBucket[]> {
    validateQuery(q)
    if (this.closing !== null) throw new StatsClosedError('query')
    await this.settled()
    const from = alignTo(q.from, q.resolution)
    const out = this.store.range(q.resolution, from, q.to)
    if (this.acc.isEmpty()) return out
    const live = this.acc.toBucket(this.opts.nodeId)
    const start = alignTo(live.start, q.resolution)
    if (start < from || start >= q.to) return out
    let i = out.length
    while (i > 0 && out[i - 1]!.start >= start) i--
    const stored = out[i]
    const atStart = stored !== undefined && stored.start === start
    if (q.resolution === 'minute') {
      // The in-memory minute holds everything its stored copy holds, and more.
      out.splice(i, atStart ? 1 : 0, live)
    } else {
      const hour = addBuckets(atStart ? stored : emptyBucket(live.node, start, 'hour'), live, this.opts.maxTopKeys)
      out.splice(i, atStart ? 1 : 0, hour)
    }
    return out
  }

  /**
   * Cluster-wide history from MongoDB: every node's closed buckets overlapping [q.from, q.to), summed per start
   * by an aggregation pipeline. Minutes still in progress on any node are not there yet.
   */
  async queryMongo(q: StatsQuery): Promise<StatsBucket[]> {
    validateQuery(q)
    if (this.mongo === null) throw new StatsMongoNotConfiguredError()
    if (this.closing !== null) throw new StatsClosedError('queryMongo')
    return this.mongo.queryCluster(q)
  }

  live(): LiveStats {
    const at = this.now()
    const { perSecond, windowMs } = this.sampler.rate(at, this.closedTotal + this.acc.total)
    return {
      node: this.opts.nodeId,
      nodeName: this.opts.nodeName,
      at,
      requestsPerSecond: perSecond,
      windowMs,
      minute: this.acc.toBucket(this.opts.nodeId),
      sink: this.drainer?.status() ?? null,
    }
  }

  /**
   * Closes the minute if its end has passed, and writes the in-progress minute to LMDB now; resolves once
   * committed. The timer does the same every flushIntervalMs.
   */
  async flush(): Promise<void> {
    if (this.closing !== null) throw new StatsClosedError('flush')
    await this.tick()
  }

  /** Final flush, stops timers and the sink, closes LMDB. Idempotent. */
  close(): Promise<void> {
    if (this.closing === null) this.closing = this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    if (this.tickTimer !== null) clearTimeout(this.tickTimer)
    if (this.sampleTimer !== null) clearInterval(this.sampleTimer)
    this.tickTimer = null
    this.sampleTimer = null
    try {
      await this.tick()
    } catch (err) {
      this.opts.logger.error({ err }, 'final stats flush failed')
    }
    await this.settled()
    if (this.drainer !== null) await this.drainer.stop()
    await this.store.close()
  }

  private scheduleTick(): void {
    if (this.closing !== null) return
    const untilRollover = this.acc.start + MINUTE_MS - this.now()
    const delay = Math.max(1, Math.min(this.opts.flushIntervalMs, untilRollover))
    this.tickTimer = setTimeout(() => {
      this.tickTimer = null
      this.tick()
        .catch((err: unknown) => this.opts.logger.error({ err }, 'stats flush failed'))
        .finally(() => this.scheduleTick())
    }, delay)
    this.tickTimer.unref()
  }

  private async tick(): Promise<void> {
    const now = this.now()
    const writes: Promise<unknown>[] = []
    const minute = alignTo(now, 'minute')
    const rolled = minute > this.acc.start
    if (rolled) {
      const closed = this.acc.isEmpty() ? null : this.acc.toBucket(this.opts.nodeId)
      this.closedTotal += this.acc.total
      this.acc.reset(minute)
      this.flushedVersion = this.acc.version
      if (closed !== null) writes.push(this.track(this.store.closeMinute(closed)))
      writes.push(this.applyRetention(now))
    }
    if (this.acc.version !== this.flushedVersion) {
      this.flushedVersion = this.acc.version
      writes.push(this.track(this.store.putMinute(this.acc.toBucket(this.opts.nodeId))))
    }
    await Promise.all(writes)
    if (rolled) this.drainer?.kick()
  }

  private async applyRetention(now: number): Promise<void> {
    // A bucket goes once its end is older than the retention.
    const { minutesMs, hoursMs } = this.opts.retention
    const removed = await this.track(
      this.store.applyRetention(now - minutesMs - MINUTE_MS + 1, now - hoursMs - HOUR_MS + 1),
    )
    if (removed.minutes + removed.hours > 0) this.opts.logger.info(removed, 'stats retention removed old buckets')
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p)
    const done = (): void => {
      this.pending.delete(p)
    }
    p.then(done, done)
    return p
  }

  /** Waits for every LMDB write issued so far (failures were already logged by their issuer). */
  private async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
  }
}

function validateQuery(q: StatsQuery): void {
  if (typeof q !== 'object' || q === null) throw new StatsQueryError('query', q, 'is not an object { from, to, resolution }')
  if (typeof q.from !== 'number' || !Number.isFinite(q.from)) throw new StatsQueryError('query.from', q.from, 'is not a finite number (ms since the epoch)')
  if (typeof q.to !== 'number' || !Number.isFinite(q.to)) throw new StatsQueryError('query.to', q.to, 'is not a finite number (ms since the epoch)')
  if (q.to <= q.from) throw new StatsQueryError('query.to', q.to, `is not after query.from (${q.from})`)
  if (q.resolution !== 'minute' && q.resolution !== 'hour') throw new StatsQueryError('query.resolution', q.resolution, 'is not one of: minute, hour')
}
