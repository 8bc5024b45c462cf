// A small in-memory WindowCounters for the limiter's unit tests: one node, the two-window sliding estimate of
// DESIGN.md ("Counters as CRDTs"), no gossip, the CheckResult conventions of crdt-counters (estimate and remaining
// before the request, resetMs 0 when allowed). It logs every call, so tests can see what was checked and added.
import type { CheckResult, WindowCounters } from '../window-counters.js'

export interface CounterCall {
  op: 'check' | 'add'
  key: string
  now: number
}

export class MemoryWindowCounters implements WindowCounters {
  readonly calls: CounterCall[] = []
  private readonly counts = new Map<string, number>()

  private count(key: string, windowMs: number, window: number): number {
    return this.counts.get(`${key}@${windowMs}@${window}`) ?? 0
  }

  estimate(key: string, windowMs: number, now: number): number {
    const w = Math.floor(now / windowMs)
    const elapsed = (now - w * windowMs) / windowMs
    return this.count(key, windowMs, w) + this.count(key, windowMs, w - 1) * (1 - elapsed)
  }

  check(key: string, limit: number, windowMs: number, now: number, cost = 1): CheckResult {
    this.calls.push({ op: 'check', key, now })
    const estimate = this.estimate(key, windowMs, now)
    const allowed = estimate + cost <= limit
    const w = Math.floor(now / windowMs)
    let resetMs = 0
    if (!allowed) {
      // When, with no new traffic, the estimate first lets `cost` through (solving the estimate's formula for t).
      const current = this.count(key, windowMs, w)
      const previous = this.count(key, windowMs, w - 1)
      const room = limit - cost
      const start = w * windowMs
      const at =
        current <= room
          ? start + windowMs * (1 - (room - current) / previous)
          : start + windowMs + windowMs * (1 - room / current)
      resetMs = Math.max(0, Math.ceil(at - now))
    }
    return { allowed, estimate, remaining: Math.max(0, Math.floor(limit - estimate)), resetMs }
  }

  add(key: string, windowMs: number, now: number, n = 1): void {
    this.calls.push({ op: 'add', key, now })
    const cell = `${key}@${windowMs}@${Math.floor(now / windowMs)}`
    this.counts.set(cell, (this.counts.get(cell) ?? 0) + n)
  }

  addedKeys(): string[] {
    return this.calls.filter((c) => c.op === 'add').map((c) => c.key)
  }
}
