// cluster.yml `partitionPolicy`. `visible` (the default): each node enforces every limit against the counts it can
// see, so while the cluster is split each side may admit up to the whole limit. `share`: a node that sees only k of
// the N configured members (itself included) enforces k/N of each limit, so the sides of a split together stay
// within it; when the members return, the full limit is back. A pure adapter around the counters' check().
import type { CheckResult, WindowCounters } from '../crdt-counters/index.js'

type Checker = Pick<WindowCounters, 'check' | 'add'>

export class PartitionShare implements Checker {
  private readonly inner: Checker
  private readonly configured: number
  private visible: number

  constructor(inner: Checker, configuredMembers: number) {
    this.inner = inner
    this.configured = configuredMembers
    this.visible = configuredMembers
  }

  /** How many members (self included) this node currently sees up. */
  setVisible(members: number): void {
    this.visible = Math.max(1, Math.min(this.configured, members))
  }

  get factor(): number {
    return this.visible / this.configured
  }

  check(key: string, limit: number, windowMs: number, now: number, cost?: number): CheckResult {
    if (this.visible === this.configured) return this.inner.check(key, limit, windowMs, now, cost)
    return this.inner.check(key, Math.max(1, Math.floor(limit * this.visible / this.configured)), windowMs, now, cost)
  }

  add(key: string, windowMs: number, now: number, n?: number): void {
    this.inner.add(key, windowMs, now, n)
  }
}
