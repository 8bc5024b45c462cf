// Failure detection as a pure function of what we know about a member and the time, so it can be tested on its
// own. Liveness comes only from silence (any frame counts, heartbeats keep idle links warm); an open stream says
// nothing, since a SIGSTOPped peer keeps its TCP connection open for seconds.

import type { MemberState } from './index.js'

export interface MemberFacts {
  /** Wall ms of the last frame from the member, null if none since we started (or since it was added). */
  lastHeardAt: number | null
  /** Its gossip stream to us is open and its hello was accepted. */
  linked: boolean
  /** On that stream, a snapshot of every channel it announced has arrived. */
  synced: boolean
  /** Wall ms since which we have been waiting for it (our start, or when it was added). */
  waitingSince: number
}

export interface FailureTimes {
  suspectAfterMs: number
  /** A member never heard from is 'connecting' until this long after waitingSince, then 'down'. */
  syncTimeoutMs: number
}

export function memberState(facts: MemberFacts, now: number, times: FailureTimes): MemberState {
  if (facts.lastHeardAt === null) {
    return now - facts.waitingSince >= times.syncTimeoutMs ? 'down' : 'connecting'
  }
  const silence = now - facts.lastHeardAt
  if (silence >= 2 * times.suspectAfterMs) return 'down'
  if (silence >= times.suspectAfterMs) return 'suspect'
  if (!facts.linked) return 'connecting'
  return facts.synced ? 'up' : 'syncing'
}
