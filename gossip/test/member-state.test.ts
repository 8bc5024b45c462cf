// Failure detection is a pure function of the facts and the time; these pin down its thresholds.
import { describe, expect, it } from 'vitest'
import { memberState, type MemberFacts } from '../member-state.js'

const times = { suspectAfterMs: 1000, syncTimeoutMs: 3000 }
const facts = (f: Partial<MemberFacts>): MemberFacts => ({ lastHeardAt: 10_000, linked: true, synced: true, waitingSince: 0, ...f })

describe('memberState', () => {
  it('never heard: connecting until syncTimeoutMs after we started waiting, then down', () => {
    expect(memberState(facts({ lastHeardAt: null, linked: false, waitingSince: 5000 }), 7999, times)).toBe('connecting')
    expect(memberState(facts({ lastHeardAt: null, linked: false, waitingSince: 5000 }), 8000, times)).toBe('down')
  })

  it('linked: syncing until its snapshots arrived, then up', () => {
    expect(memberState(facts({ synced: false }), 10_500, times)).toBe('syncing')
    expect(memberState(facts({}), 10_500, times)).toBe('up')
  })

  it('silent for suspectAfterMs → suspect, for twice that → down, whatever the stream says', () => {
    expect(memberState(facts({}), 10_999, times)).toBe('up')
    expect(memberState(facts({}), 11_000, times)).toBe('suspect')
    expect(memberState(facts({}), 11_999, times)).toBe('suspect')
    expect(memberState(facts({}), 12_000, times)).toBe('down')
    expect(memberState(facts({ linked: false }), 12_000, times)).toBe('down')
  })

  it('heard recently but its stream closed: connecting (waiting for it to reopen)', () => {
    expect(memberState(facts({ linked: false, synced: false }), 10_100, times)).toBe('connecting')
  })
})
