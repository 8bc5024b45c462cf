import { describe, expect, it } from 'vitest'
import { DEFAULT_URGENT_LAG_MS } from '../../crdt-counters/index.js'
import type { MemberView } from '../../gossip/index.js'
import { urgentLagFor } from '../urgent-lag.js'

function member(state: MemberView['state'], p99: number | null): MemberView {
  return {
    name: 'n',
    peerId: 'p',
    address: '127.0.0.1:1',
    state,
    lastHeardAt: null,
    lagMs: p99 === null ? null : { p50: p99 / 3, p99 },
    connectedSince: null,
    bytesIn: 0,
    bytesOut: 0,
    framesIn: 0,
    framesOut: 0,
  }
}

describe('urgentLagFor', () => {
  it('follows the worst p99 delta lag of the live peers, with a millisecond of margin', () => {
    expect(urgentLagFor([member('self', null), member('up', 4), member('up', 11)], 0.5, 40)).toBe(12)
  })
  it('never goes below the default (an idle loopback) nor above the gossip delay', () => {
    expect(urgentLagFor([member('up', 0.2)], 0.5, 40)).toBe(DEFAULT_URGENT_LAG_MS)
    expect(urgentLagFor([member('up', 500)], 0.5, 40)).toBe(40)
    expect(urgentLagFor([], 0, 40)).toBe(DEFAULT_URGENT_LAG_MS)
  })
  it('on a loaded machine (its own event loop delayed), waits twice the loop delay before any delta is measured', () => {
    expect(urgentLagFor([member('up', null)], 9, 40)).toBe(18)
    expect(urgentLagFor([member('up', 30)], 9, 40)).toBe(31)
  })
  it('ignores peers that are down or have sent no delta yet', () => {
    expect(urgentLagFor([member('down', 300), member('suspect', 200), member('up', null), member('up', 6)], 1, 40)).toBe(7)
  })
})
