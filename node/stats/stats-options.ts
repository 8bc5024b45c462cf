// Options of NodeStats, their defaults (all in one place) and their validation.
import { StatsConfigError } from './errors.js'
import type { StatsSink } from './stats-sink.js'

export interface StatsLogger {
  info(o: object, msg?: string): void
  warn(o: object, msg?: string): void
  error(o: object, msg?: string): void
}

export interface StatsMongoOptions {
  uri: string
  /** Default 'meliproxy' (the original system's database name). */
  database?: string
  /** Collections are `${prefix}minutes` and `${prefix}hourly`; default 'stats_'. */
  collectionPrefix?: string
}

export interface StatsOptions {
  /** The node's peer id (its identity in stats). */
  nodeId: string
  /** Its name in cluster.yml (n1…). */
  nodeName: string
  /** LMDB lives in `${dataDir}/stats`. */
  dataDir: string
  /** In-memory counters → LMDB every this many ms; default 1000. A SIGKILL loses at most one interval. */
  flushIntervalMs?: number
  /** Minute buckets are kept minutesMs (e.g. 48 h), hour buckets hoursMs (stats.retention, e.g. 7 d). */
  retention: { minutesMs: number; hoursMs: number }
  /** Heavy-hitters capacity per bucket; default 100. */
  maxTopKeys?: number
  /** Distinct rule ids counted per minute before the rest go to '(overflow)'; default 1000. */
  maxRules?: number
  mongo?: StatsMongoOptions
  /**
   * Another sink for closed buckets, instead of MongoDB (tests, other stores). Ignored when `mongo` is set.
   * Gets the same outbox, retry and backoff as MongoDB.
   */
  sink?: StatsSink
  /** Retry delays of the sink: doubling from base to max, with ±20 % jitter. Defaults 1000 and 60000. */
  sinkBackoffMs?: { base: number; max: number }
  logger: StatsLogger
  now?: () => number
}

export const STATS_DEFAULTS = Object.freeze({
  flushIntervalMs: 1000,
  maxTopKeys: 100,
  maxRules: 1000,
  mongoDatabase: 'meliproxy',
  mongoCollectionPrefix: 'stats_',
  sinkBackoffBaseMs: 1000,
  sinkBackoffMaxMs: 60_000,
  /** Closed buckets sent to the sink per write. */
  sinkBatchSize: 200,
  /** A sink write not acknowledged within this is treated as failed (and retried later). */
  sinkWriteTimeoutMs: 15_000,
})

const MAX_TOP_KEYS_LIMIT = 10_000
const MAX_RULES_LIMIT = 100_000

export interface ResolvedStatsOptions extends StatsOptions {
  flushIntervalMs: number
  maxTopKeys: number
  maxRules: number
  sinkBackoffMs: { base: number; max: number }
  now: () => number
}

export function resolveStatsOptions(opts: StatsOptions): ResolvedStatsOptions {
  nonEmpty(opts.nodeId, 'stats.nodeId')
  nonEmpty(opts.nodeName, 'stats.nodeName')
  nonEmpty(opts.dataDir, 'stats.dataDir')
  const flushIntervalMs = opts.flushIntervalMs ?? STATS_DEFAULTS.flushIntervalMs
  intInRange(flushIntervalMs, 'stats.flushIntervalMs', 10, 60_000)
  if (typeof opts.retention !== 'object' || opts.retention === null) {
    throw new StatsConfigError('stats.retention', opts.retention, 'is not an object { minutesMs, hoursMs }')
  }
  intInRange(opts.retention.minutesMs, 'stats.retention.minutesMs', 60_000, Number.MAX_SAFE_INTEGER)
  intInRange(opts.retention.hoursMs, 'stats.retention.hoursMs', 3_600_000, Number.MAX_SAFE_INTEGER)
  const maxTopKeys = opts.maxTopKeys ?? STATS_DEFAULTS.maxTopKeys
  intInRange(maxTopKeys, 'stats.maxTopKeys', 0, MAX_TOP_KEYS_LIMIT)
  const maxRules = opts.maxRules ?? STATS_DEFAULTS.maxRules
  intInRange(maxRules, 'stats.maxRules', 1, MAX_RULES_LIMIT)
  if (opts.mongo !== undefined) {
    nonEmpty(opts.mongo.uri, 'stats.mongo.uri')
    if (opts.mongo.database !== undefined) nonEmpty(opts.mongo.database, 'stats.mongo.database')
  }
  const sinkBackoffMs = opts.sinkBackoffMs ?? { base: STATS_DEFAULTS.sinkBackoffBaseMs, max: STATS_DEFAULTS.sinkBackoffMaxMs }
  intInRange(sinkBackoffMs.base, 'stats.sinkBackoffMs.base', 1, 3_600_000)
  intInRange(sinkBackoffMs.max, 'stats.sinkBackoffMs.max', sinkBackoffMs.base, 3_600_000)
  return { ...opts, flushIntervalMs, maxTopKeys, maxRules, sinkBackoffMs, now: opts.now ?? Date.now }
}

function nonEmpty(v: unknown, field: string): void {
  if (typeof v !== 'string' || v.length === 0) throw new StatsConfigError(field, v, 'is not a non-empty string')
}

function intInRange(v: unknown, field: string, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new StatsConfigError(field, v, `is not an integer from ${min} to ${max}`)
  }
}
