// Public surface of node/stats: per-node usage statistics (in-memory counting, LMDB, optional MongoDB).
export { NodeStats, type LiveStats, type RequestSample } from './node-stats.js'
export { type Outcome, OUTCOMES } from './outcome.js'
export {
  type StatsBucket,
  type StatsQuery,
  type Resolution,
  type RuleCounts,
  MINUTE_MS,
  HOUR_MS,
  MERGED_NODE,
  alignTo,
  emptyBucket,
} from './stats-bucket.js'
export { mergeBuckets, addBuckets, DEFAULT_MAX_TOP_KEYS } from './merge-buckets.js'
export { toOriginalHourly, type OriginalHourly } from './original-hourly.js'
export {
  type HistogramData,
  HistogramRecorder,
  percentile,
  mean,
  mergeHistogram,
  emptyHistogram,
  HISTOGRAM_RELATIVE_ERROR,
  HISTOGRAM_MAX_TRACKABLE_MICROS,
} from './histogram.js'
export { SpaceSaving, mergeTopLimited, type TopLimitedEntry, MAX_TOP_KEY_CHARS } from './space-saving.js'
export { type StatsOptions, type StatsLogger, type StatsMongoOptions, STATS_DEFAULTS } from './stats-options.js'
export type { StatsSink } from './stats-sink.js'
export type { OutboxStatus } from './outbox-drainer.js'
export { OVERFLOW_RULE_ID } from './minute-accumulator.js'
export {
  StatsConfigError,
  StatsQueryError,
  StatsClosedError,
  StatsMongoNotConfiguredError,
  StatsRecordCorruptError,
  StatsSinkTimeoutError,
} from './errors.js'
