// How long to wait before the next dial of an unreachable member: REDIAL_MIN_MS doubling up to REDIAL_MAX_MS.
// Each wait is drawn from [delay/2, delay] ("equal jitter") so members that lost a peer at the same moment do not
// all redial it in lockstep.

import { REDIAL_MAX_MS, REDIAL_MIN_MS } from './constants.js'

export class RedialBackoff {
  private attempt = 0
  private readonly random: () => number

  constructor(random: () => number = Math.random) {
    this.random = random
  }

  /** The wait before the next attempt; each call doubles the base delay, up to the cap. */
  next(): number {
    const delay = Math.min(REDIAL_MAX_MS, REDIAL_MIN_MS * 2 ** Math.min(this.attempt, 16))
    this.attempt++
    return delay / 2 + (this.random() * delay) / 2
  }

  /** After a healthy link: the next wait starts from REDIAL_MIN_MS again. */
  reset(): void {
    this.attempt = 0
  }
}
