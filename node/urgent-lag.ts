// How long a node near a limit waits after a split before it splits again (crdt-counters' urgentLagMs).
//
// The split near a limit relies on the peers' flushed deltas arriving within urgentLagMs. The default (3 ms) holds
// on an idle loopback; on a loaded machine frames take longer to be read and applied, and a node that splits again
// before its peers' admissions arrive may take a unit one of them already took. So the node follows what it
// measures, every URGENT_LAG_UPDATE_MS: the worst p99 of the delta lag of its live peers (sender timestamp → applied
// here, over their last deltas) plus a millisecond, and twice the p99 of its own event-loop delay over the last
// period (a loop that waits for a CPU reads its peers' frames late, and theirs are as loaded; this is known before
// any delta has been measured). Measured on 3 nodes sharing 2 cores with two busy processes: with the fixed 3 ms a
// 10/minute key hammered on all three nodes admitted 12 in 3 of 5 runs; following the measures, 10 in 6 of 6.
//
// The price: a node splits more slowly near a limit while the machine is loaded (and after a slow turn of its own),
// so a client sending back-to-back requests to a nearly exhausted small key may be refused before the last units
// are spent (node/test/small-limits.test.ts prints how often). Never below the default, never above the gossip
// delay (after which a node that has heard from every peer splits again anyway).
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import { DEFAULT_URGENT_LAG_MS } from '../crdt-counters/index.js'
import type { MemberView } from '../gossip/index.js'

/** How often the node recomputes it. */
export const URGENT_LAG_UPDATE_MS = 250

/** The urgent lag for these members' measured delta lags and this event-loop delay p99 (ms). */
export function urgentLagFor(members: readonly MemberView[], loopDelayMs: number, gossipDelayMs: number): number {
  let worst = 2 * loopDelayMs
  for (const m of members) {
    if (m.state !== 'up' || m.lagMs === null) continue
    if (m.lagMs.p99 + 1 > worst) worst = m.lagMs.p99 + 1
  }
  return Math.min(gossipDelayMs, Math.max(DEFAULT_URGENT_LAG_MS, worst))
}

/** Recomputes the urgent lag every URGENT_LAG_UPDATE_MS and hands it to `apply`, until stop(). */
export class UrgentLagTracker {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 1 })
  private readonly timer: NodeJS.Timeout

  constructor(members: () => readonly MemberView[], gossipDelayMs: number, apply: (ms: number) => void) {
    this.loop.enable()
    this.timer = setInterval(() => {
      const p99 = this.loop.count > 0 ? this.loop.percentile(99) / 1e6 : 0
      this.loop.reset()
      apply(urgentLagFor(members(), p99, gossipDelayMs))
    }, URGENT_LAG_UPDATE_MS)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
    this.loop.disable()
  }
}
