import { render, screen, within } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import MemberTable from '../src/components/MemberTable.svelte'
import { memberFixture } from './fixtures/api-fixtures.js'

const NOW = Date.UTC(2025, 10, 27, 12, 0, 0)

function renderMembers(): void {
  render(MemberTable, {
    now: NOW,
    locale: 'en-US',
    members: [
      memberFixture('n1', 'self', NOW, 0),
      memberFixture('n2', 'up', NOW, 1),
      { ...memberFixture('n3', 'suspect', NOW, 2), lastHeardAt: NOW - 1500 },
      memberFixture('n4', 'down', NOW, 3),
    ],
  })
}

describe('member table', () => {
  it('has one row per member, labelled with its state', () => {
    renderMembers()
    const states = ['n1', 'n2', 'n3', 'n4'].map((id) => screen.getByTestId(`member-${id}`).dataset.state)
    expect(states).toEqual(['self', 'up', 'suspect', 'down'])
    const badge = (id: string): string => within(screen.getByTestId(`member-${id}`)).getByTestId('member-state').textContent!.trim()
    expect(badge('n1')).toBe('up (this node)')
    expect(badge('n2')).toBe('up')
    expect(badge('n3')).toBe('suspect')
    expect(badge('n4')).toBe('down')
  })

  it("shows an up member's own figures: rate, share, lag, uptime, version, addresses", () => {
    renderMembers()
    const row = within(screen.getByTestId('member-n2'))
    expect(row.getByTestId('member-rate').textContent).toBe('1,301 req/s')
    expect(row.getByText('33.0%')).toBeTruthy()
    expect(row.getByText('2.2 ms / 5.8 ms')).toBeTruthy()
    expect(row.getByText('11 min')).toBeTruthy()
    expect(row.getByText('0.1.0')).toBeTruthy()
    expect(row.getByText('127.0.0.1:8081')).toBeTruthy()
    expect(row.getByText('now')).toBeTruthy()
  })

  it('keeps a down member listed, with dashes for what it did not report and when it was last heard', () => {
    renderMembers()
    const row = within(screen.getByTestId('member-n4'))
    expect(row.getByTestId('member-rate').textContent).toBe('—')
    expect(row.getByText('no answer')).toBeTruthy()
    expect(row.getByText('4 seconds ago')).toBeTruthy()
    expect(screen.getByTestId('member-n4').classList.contains('dim')).toBe(true)
    expect(screen.getByTestId('member-n3').classList.contains('dim')).toBe(false)
  })

  it("shows the gossip bytes exchanged with each member, and dashes for a member added at run time that never answered", () => {
    render(MemberTable, {
      now: NOW,
      locale: 'en-US',
      members: [
        memberFixture('n1', 'self', NOW, 0),
        {
          ...memberFixture('n9', 'connecting', NOW, 8),
          peerId: null,
          addresses: { http: null, admin: null, p2p: '10.0.0.9:7946' },
          lastHeardAt: null,
          lagMs: null,
          gossip: { bytesIn: 0, bytesOut: 0 },
        },
      ],
    })
    expect(within(screen.getByTestId('member-n1')).getByTestId('member-gossip').textContent?.trim()).toBe('121 KiB / 229 KiB')
    const row = within(screen.getByTestId('member-n9'))
    expect(row.getByTestId('member-gossip').textContent?.trim()).toBe('0 B / 0 B')
    expect(row.getByText('10.0.0.9:7946')).toBeTruthy()
    expect(row.getAllByText('—').length).toBeGreaterThanOrEqual(3)
    expect(row.getByText('never')).toBeTruthy()
  })

  it('marks the answering node as this node', () => {
    renderMembers()
    const row = within(screen.getByTestId('member-n1'))
    expect(row.getByText('you')).toBeTruthy()
    expect(row.getByText('this node')).toBeTruthy()
  })
})
