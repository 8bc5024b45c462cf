// Public API of crdt-counters: pure data types (no I/O, no clock: time is always a parameter).
export { GCounter } from './g-counter.js'
export {
  WindowCounters,
  DEFAULT_GOSSIP_DELAY_MS,
  DEFAULT_MAX_KEYS,
  DEFAULT_MAX_NODES,
  DEFAULT_MAX_KEY_BYTES,
  DEFAULT_URGENT_FLUSH_WITHIN,
  DEFAULT_URGENT_LAG_MS,
  type WindowCountersOptions,
  type CheckResult,
  type DeltaEntry,
  type StateEntry,
} from './window-counters.js'
export { windowIndex, slidingEstimate, retryAfterMs } from './sliding-window.js'
export {
  decideBudget,
  apportion,
  reservedForPeers,
  createBudgetView,
  createBudgetDecision,
  DEFAULT_SPLIT_POLICY,
  type SplitPolicy,
  type BudgetView,
  type BudgetDecision,
} from './budget-split.js'
export {
  encodeDelta,
  decodeDelta,
  encodeState,
  decodeState,
  encodeLww,
  decodeLww,
  encodeDeltaFrames,
  encodeStateFrames,
  encodeLwwFrames,
  DEFAULT_CODEC_LIMITS,
  MAX_VALUE_DEPTH,
  type CodecLimits,
} from './codec.js'
export { HybridClock, compareHlc, DEFAULT_HLC_MAX_DRIFT_MS, type Hlc, type HybridClockOptions } from './hlc.js'
export { LwwMap, type LwwEntry } from './lww-map.js'
export { isPlainData, plainDataEqual } from './json-value.js'
export { utf8Length } from './utf8-length.js'
export { CodecError, CounterArgumentError } from './errors.js'
