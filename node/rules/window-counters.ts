// The counters the limiter reads and bumps: crdt-counters' WindowCounters (cluster-wide sliding-window estimates
// over G-counters). The limiter needs only check() and add(), so it takes just that part of the class; unit tests
// can pass a small in-memory version of the same two methods.
//
// What the limiter relies on (crdt-counters/window-counters.ts states it too):
// - check() never counts; add() raises this node's own count for the key's current window;
// - CheckResult.estimate and .remaining are as of before this request (remaining = max(0, floor(limit - estimate)));
// - CheckResult.resetMs is the wait until a request would be let through again, and 0 when allowed.
import type { WindowCounters as CrdtWindowCounters } from '../../crdt-counters/index.js'

export type { CheckResult } from '../../crdt-counters/index.js'

export type WindowCounters = Pick<CrdtWindowCounters, 'check' | 'add'>
