// Hybrid logical clock (Kulkarni et al.): stamps follow wall-clock time when it moves forward and a counter when it
// does not, so every stamp a node issues is greater than every stamp it issued or observed before, and stamps
// stay close to real time. Ties between nodes break on the node id, which makes the order total.

/** A stamp. Total order: wall, then counter, then node id. */
export interface Hlc {
  wall: number
  counter: number
  node: string
}

export function compareHlc(a: Hlc, b: Hlc): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0
}

export interface HybridClockOptions {
  /**
   * How far ahead of our wall clock an observed remote stamp may pull this clock (default 60_000 ms). A peer with
   * a clock far in the future would otherwise drag every later stamp of ours there; beyond this bound the remote
   * wall is taken only up to wallMs + maxDriftMs, and `driftClamps` counts it.
   */
  maxDriftMs?: number
}

export const DEFAULT_HLC_MAX_DRIFT_MS = 60_000

export class HybridClock {
  readonly node: string
  private readonly maxDriftMs: number
  private wall = 0
  private counter = 0
  /** Remote stamps that were further ahead than maxDriftMs. */
  driftClamps = 0

  constructor(node: string, opts: HybridClockOptions = {}) {
    this.node = node
    this.maxDriftMs = opts.maxDriftMs ?? DEFAULT_HLC_MAX_DRIFT_MS
  }

  /** A new stamp for a local event at wall-clock time `wallMs`; greater than every stamp issued or observed before. */
  now(wallMs: number): Hlc {
    if (wallMs > this.wall) {
      this.wall = wallMs
      this.counter = 0
    } else {
      this.counter++
    }
    return { wall: this.wall, counter: this.counter, node: this.node }
  }

  /** Takes a remote stamp into account, so that the next local stamp is greater than it (within maxDriftMs). */
  observe(remote: Hlc, wallMs: number): void {
    let remoteWall = remote.wall
    let remoteCounter = remote.counter
    const bound = wallMs + this.maxDriftMs
    if (remoteWall > bound) {
      this.driftClamps++
      remoteWall = bound
      remoteCounter = 0
    }
    if (wallMs > this.wall && wallMs > remoteWall) {
      this.wall = wallMs
      this.counter = 0
    } else if (remoteWall > this.wall) {
      this.wall = remoteWall
      this.counter = remoteCounter
    } else if (remoteWall === this.wall && remoteCounter > this.counter) {
      this.counter = remoteCounter
    }
  }
}
