// The order and flags of the parts a snapshot is sent in: per channel from 0, the last one flagged, an empty channel
// as one empty last part, an oversized part replaced by an empty one, a failing channel cut short; and parts are
// pulled from lazy channels only as they are handed out (one ahead).
import { describe, expect, it } from 'vitest'
import { OutboundSnapshot, type SnapshotPart } from '../outbound-snapshot.js'

const bytes = (...values: number[]) => Uint8Array.from(values)

function drain(out: OutboundSnapshot): Array<Omit<SnapshotPart, 'payload'> & { payload: number[] }> {
  const parts: Array<Omit<SnapshotPart, 'payload'> & { payload: number[] }> = []
  for (let part = out.next(); part !== undefined; part = out.next()) parts.push({ ...part, payload: [...part.payload] })
  return parts
}

describe('outbound snapshot', () => {
  it('numbers parts per channel, flags the last, sends an empty channel as one empty last part', () => {
    const oversized: Array<[string, number]> = []
    const out = new OutboundSnapshot(
      1,
      [
        { name: 'a', parts: [bytes(1), bytes(2), bytes(3)][Symbol.iterator]() },
        { name: 'empty', parts: [][Symbol.iterator]() },
        { name: 'big', parts: [bytes(4), bytes(5, 5, 5, 5, 5)][Symbol.iterator]() },
      ],
      { maxPayloadBytes: 4, onOversized: (c, n) => oversized.push([c, n]), onError: () => expect.unreachable() },
    )
    expect(drain(out)).toEqual([
      { channel: 'a', payload: [1], index: 0, last: false },
      { channel: 'a', payload: [2], index: 1, last: false },
      { channel: 'a', payload: [3], index: 2, last: true },
      { channel: 'empty', payload: [], index: 0, last: true },
      { channel: 'big', payload: [4], index: 0, last: false },
      { channel: 'big', payload: [], index: 1, last: true },
    ])
    expect(oversized).toEqual([['big', 5]])
    expect(out.next()).toBeUndefined()
  })

  it('pulls lazily, one part ahead, and cuts a channel short when it throws', () => {
    const pulled: number[] = []
    function* lazy(fail: boolean): Generator<Uint8Array> {
      for (let i = 0; i < 3; i++) {
        pulled.push(i)
        yield bytes(i)
      }
      if (fail) throw new Error('encoding failed')
    }
    const errors: string[] = []
    const out = new OutboundSnapshot(
      1,
      [
        { name: 'failing', parts: lazy(true) },
        { name: 'fine', parts: [bytes(9)][Symbol.iterator]() },
      ],
      { maxPayloadBytes: 100, onOversized: () => expect.unreachable(), onError: (c) => errors.push(c) },
    )
    expect(out.next()).toMatchObject({ channel: 'failing', index: 0, last: false })
    expect(pulled).toEqual([0, 1])
    expect(out.next()).toMatchObject({ channel: 'failing', index: 1, last: false })
    expect(pulled).toEqual([0, 1, 2])
    // part 2 would be the last only if the generator ended; it threw instead: no last part for this channel
    expect(out.next()).toMatchObject({ channel: 'fine', index: 0, last: true })
    expect(errors).toEqual(['failing'])
    expect(out.next()).toBeUndefined()
  })
})
