import fc from 'fast-check'
import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import {
  CodecError,
  DEFAULT_CODEC_LIMITS,
  decodeDelta,
  decodeLww,
  decodeState,
  encodeDelta,
  encodeDeltaFrames,
  encodeLww,
  encodeLwwFrames,
  encodeState,
  encodeStateFrames,
  type CodecLimits,
  type DeltaEntry,
  type LwwEntry,
  type StateEntry,
} from '../index.js'

// Raw MessagePack, to hand-craft frames the encoders would never write.
const raw = new Packr({ useRecords: false })
const pack = (v: unknown) => raw.pack(v)

const key = fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme' })
const count = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(Number.MAX_SAFE_INTEGER), fc.integer({ min: 0, max: 2 ** 40 }))
const windowMs = fc.oneof(fc.constantFrom(1000, 60_000, 3_600_000), fc.integer({ min: 1, max: 2 ** 31 }))
const window = fc.integer({ min: 0, max: 2 ** 41 })
const deltaEntry: fc.Arbitrary<DeltaEntry> = fc.tuple(key, windowMs, window, count)
const nodeIdArb = fc.constantFrom('12D3KooWAAAA', '12D3KooWBBBB', 'nödé-ç', 'x')
const stateEntry: fc.Arbitrary<StateEntry> = fc.tuple(
  key,
  windowMs,
  window,
  fc.uniqueArray(fc.tuple(nodeIdArb, count), { selector: (s) => s[0], maxLength: 4 }),
)
const plain: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ minLength: 1 }).filter((k) => k !== '__proto__'), tie('value'), { maxKeys: 4 }),
  ),
})).value
const lwwEntry: fc.Arbitrary<LwwEntry<unknown>> = fc.record({
  key,
  value: plain,
  stamp: fc.record({ wall: fc.integer({ min: 0, max: 2 ** 45 }), counter: fc.nat(), node: nodeIdArb }),
})

/** Sorts grouped-by-window decoding back into a comparable order. */
function sortDelta(entries: DeltaEntry[]): DeltaEntry[] {
  return [...entries].sort((a, b) => (a[1] - b[1]) || (a[2] - b[2]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[3] - b[3]))
}
function sortState(entries: StateEntry[]): StateEntry[] {
  return [...entries].sort((a, b) => (a[1] - b[1]) || (a[2] - b[2]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

function codecError(fn: () => unknown): CodecError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError)
    expect((err as CodecError).code).toBe('MELIPROXY_ERR_CODEC')
    return err as CodecError
  }
  throw new Error('expected a CodecError, nothing was thrown')
}

describe('codec round trips', () => {
  it('delta', () => {
    fc.assert(
      fc.property(fc.array(deltaEntry, { maxLength: 30 }), (entries) => {
        expect(sortDelta(decodeDelta(encodeDelta(entries)))).toEqual(sortDelta(entries))
      }),
    )
  })

  it('state', () => {
    fc.assert(
      fc.property(fc.uniqueArray(stateEntry, { selector: (e) => `${e[0]}|${e[1]}|${e[2]}`, maxLength: 20 }), (entries) => {
        expect(sortState(decodeState(encodeState(entries)))).toEqual(sortState(entries))
      }),
    )
  })

  it('replicated rules (values are plain data, tombstones are null)', () => {
    fc.assert(
      fc.property(fc.array(lwwEntry, { maxLength: 10 }), (entries) => {
        const back = decodeLww(encodeLww(entries))
        expect(back).toEqual(entries.map((e) => ({ ...e, value: JSON.parse(JSON.stringify(e.value)) })))
      }),
    )
  })

  it('an object property left undefined is dropped, as JSON does', () => {
    const [e] = decodeLww(encodeLww([{ key: 'r', value: { a: 1, b: undefined }, stamp: { wall: 1, counter: 0, node: 'n' } }]))
    expect(e!.value).toEqual({ a: 1 })
  })

  it('groups by window: the window numbers are written once per group', () => {
    const many: DeltaEntry[] = Array.from({ length: 100 }, (_, i) => [`ip=10.0.0.${i}`, 60_000, 28_333_334, i + 1])
    const bytes = encodeDelta(many)
    const naive = pack(many)
    expect(bytes.length).toBeLessThan(naive.length * 0.85)
  })
})

describe('version 2: split refusals and claims', () => {
  const refusedEntry: fc.Arbitrary<DeltaEntry> = fc.oneof(
    fc.tuple(key, windowMs, window, count),
    fc.tuple(key, windowMs, window, count, fc.integer({ min: 1, max: 2 ** 40 })),
    fc.tuple(key, windowMs, window, count, fc.nat(), count),
  )

  it('delta entries with refusals and claims round-trip', () => {
    fc.assert(
      fc.property(fc.array(refusedEntry, { maxLength: 30 }), (entries) => {
        // A claim always travels with its refusals, 0 included; refusals alone only when there are some.
        const expected = entries.map((e) => (e.length === 6 ? e : e.length === 5 && e[4]! > 0 ? e : (e.slice(0, 4) as DeltaEntry)))
        expect(sortDelta(decodeDelta(encodeDelta(entries)))).toEqual(sortDelta(expected))
      }),
    )
  })

  it('state slots with refusals round-trip', () => {
    const slot = fc.oneof(fc.tuple(nodeIdArb, count), fc.tuple(nodeIdArb, count, fc.integer({ min: 1, max: 1000 })))
    const entry: fc.Arbitrary<StateEntry> = fc.tuple(key, windowMs, window, fc.uniqueArray(slot, { selector: (s) => s[0], maxLength: 4 }))
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => `${e[0]}|${e[1]}|${e[2]}`, maxLength: 20 }), (entries) => {
        expect(sortState(decodeState(encodeState(entries)))).toEqual(sortState(entries))
      }),
    )
  })

  it('frames without refusals or claims stay version 1, byte for byte', () => {
    const entries: DeltaEntry[] = [['ip=1.2.3.4', 60_000, 28_333_334, 17]]
    expect(encodeDelta(entries)).toEqual(raw.pack([1, [60_000, 28_333_334, 'ip=1.2.3.4', 17]]))
    expect(encodeDelta([['k', 1000, 5, 3, 0]])[1]).toBe(1)
    expect(encodeDelta([['k', 1000, 5, 3, 2]])[1]).toBe(2)
    expect(encodeState([['k', 1000, 5, [['n', 3]]]])[1]).toBe(1)
    expect(encodeState([['k', 1000, 5, [['n', 3, 1]]]])[1]).toBe(2)
  })

  it('encodeDeltaFrames keeps frames of entries with claims under the limits', () => {
    const limits: CodecLimits = { maxBytes: 1000, maxEntries: 25, maxKeyBytes: 64, maxSlots: 8 }
    const delta: DeltaEntry[] = Array.from({ length: 300 }, (_, i) => [`ip=192.168.${i >> 8}.${i & 255}`, 60_000, 7 + (i % 3), 2 ** 40 + i, 2 ** 40, 2 ** 40])
    const frames = encodeDeltaFrames(delta, limits)
    const back = frames.flatMap((f) => {
      expect(f.length).toBeLessThanOrEqual(limits.maxBytes)
      return decodeDelta(f, limits)
    })
    expect(sortDelta(back)).toEqual(sortDelta(delta))
  })

  const badV2: Array<[string, (b: Uint8Array) => unknown, unknown]> = [
    ['a pair in a version 1 delta', (b) => decodeDelta(b), [1, [1000, 0, 'k', [1, 2]]]],
    ['a pair in a version 1 state', (b) => decodeState(b), [1, ['n'], [1000, 0, 'k', [0, [1, 2]]]]],
    ['a one-element value', (b) => decodeDelta(b), [2, [1000, 0, 'k', [1]]]],
    ['a four-element value', (b) => decodeDelta(b), [2, [1000, 0, 'k', [1, 2, 3, 4]]]],
    ['refused 0 in a pair', (b) => decodeDelta(b), [2, [1000, 0, 'k', [1, 0]]]],
    ['refused negative', (b) => decodeDelta(b), [2, [1000, 0, 'k', [1, -1]]]],
    ['refused fractional', (b) => decodeDelta(b), [2, [1000, 0, 'k', [1, 1.5]]]],
    ['claim negative', (b) => decodeDelta(b), [2, [1000, 0, 'k', [1, 0, -1]]]],
    ['claim a string', (b) => decodeDelta(b), [2, [1000, 0, 'k', [1, 0, '1']]]],
    ['claim beyond 2^53', (b) => decodeDelta(b), [2, [1000, 0, 'k', [1, 0, 2 ** 60]]]],
    ['a claim in a state slot', (b) => decodeState(b), [2, ['n'], [1000, 0, 'k', [0, [1, 1, 1]]]]],
    ['rules frames have no version 2', (b) => decodeLww(b), [2, ['r', 1, 1, 0, 'n']]],
  ]
  for (const [name, decode, frame] of badV2) {
    it(`rejects ${name}`, () => {
      codecError(() => decode(pack(frame)))
    })
  }
})

describe('codec limits (each one enforced)', () => {
  const small: CodecLimits = { maxBytes: 200, maxEntries: 3, maxKeyBytes: 8, maxSlots: 2 }

  it('frame too big', () => {
    const entries: DeltaEntry[] = Array.from({ length: 2 }, (_, i) => [`k${'x'.repeat(6)}`, 1000, i, 1])
    const bytes = encodeDelta(entries)
    expect(decodeDelta(bytes, { ...small, maxBytes: bytes.length })).toHaveLength(2)
    expect(codecError(() => decodeDelta(bytes, { ...small, maxBytes: bytes.length - 1 })).message).toMatch(/over/)
  })

  it('too many entries (delta, state, rules)', () => {
    const d: DeltaEntry[] = Array.from({ length: 4 }, (_, i) => [`k${i}`, 1000, i % 2, 1])
    expect(decodeDelta(encodeDelta(d.slice(0, 3)), small)).toHaveLength(3)
    codecError(() => decodeDelta(encodeDelta(d), small))
    const s: StateEntry[] = d.map(([k, w, win]) => [k, w, win, [['n', 1]]])
    expect(decodeState(encodeState(s.slice(0, 3)), small)).toHaveLength(3)
    codecError(() => decodeState(encodeState(s), small))
    const l: LwwEntry<unknown>[] = d.map(([k]) => ({ key: k, value: 1, stamp: { wall: 1, counter: 0, node: 'n' } }))
    expect(decodeLww(encodeLww(l.slice(0, 3)), small)).toHaveLength(3)
    codecError(() => decodeLww(encodeLww(l), small))
  })

  it('key and node id longer than maxKeyBytes, counted in UTF-8 bytes', () => {
    expect(decodeDelta(encodeDelta([['12345678', 1000, 0, 1]]), small)).toHaveLength(1)
    codecError(() => decodeDelta(encodeDelta([['123456789', 1000, 0, 1]]), small))
    // 3 characters, 9 UTF-8 bytes.
    codecError(() => decodeDelta(encodeDelta([['€€€', 1000, 0, 1]]), small))
    expect(decodeDelta(encodeDelta([['€€', 1000, 0, 1]]), small)).toHaveLength(1)
    codecError(() => decodeState(encodeState([['k', 1000, 0, [['node-id-9', 1]]]]), small))
    codecError(() => decodeLww(encodeLww([{ key: 'k', value: 1, stamp: { wall: 1, counter: 0, node: 'node-id-9' } }]), small))
  })

  it('too many slots in a cell, and too many node ids in a frame', () => {
    expect(decodeState(encodeState([['k', 1000, 0, [['a', 1], ['b', 1]]]]), small)).toHaveLength(1)
    codecError(() => decodeState(encodeState([['k', 1000, 0, [['a', 1], ['b', 1], ['c', 1]]]]), small))
    codecError(() => decodeState(pack([1, ['a', 'b', 'c'], [1000, 0, 'k', [0, 1]]]), small))
  })

  it('default limits are 1 MiB, 50,000 entries, 512-byte keys, 1024 slots', () => {
    expect(DEFAULT_CODEC_LIMITS).toEqual({ maxBytes: 1024 * 1024, maxEntries: 50_000, maxKeyBytes: 512, maxSlots: 1024 })
    codecError(() => decodeDelta(new Uint8Array(1024 * 1024 + 1)))
  })

  it('encode*Frames splits a large exchange into frames that each decode under the limits', () => {
    const limits: CodecLimits = { maxBytes: 1000, maxEntries: 25, maxKeyBytes: 64, maxSlots: 8 }
    const delta: DeltaEntry[] = Array.from({ length: 500 }, (_, i) => [`ip=192.168.${i >> 8}.${i & 255}`, 60_000, 7 + (i % 3), i])
    const frames = encodeDeltaFrames(delta, limits)
    expect(frames.length).toBeGreaterThan(1)
    const back = frames.flatMap((f) => {
      expect(f.length).toBeLessThanOrEqual(limits.maxBytes)
      return decodeDelta(f, limits)
    })
    expect(sortDelta(back)).toEqual(sortDelta(delta))

    const state: StateEntry[] = delta.map(([k, w, win, v]) => [k, w, win, Array.from({ length: 8 }, (_, n) => [`12D3KooW-node-${n}`, v + n] as [string, number])])
    const sframes = encodeStateFrames(state, limits)
    const sback = sframes.flatMap((f) => {
      expect(f.length).toBeLessThanOrEqual(limits.maxBytes)
      return decodeState(f, limits)
    })
    expect(sortState(sback)).toEqual(sortState(state))

    const rules: LwwEntry<unknown>[] = Array.from({ length: 60 }, (_, i) => ({
      key: `rule-${i}`,
      value: { limit: i, match: { path: '/items/*' } },
      stamp: { wall: 1, counter: i, node: 'n' },
    }))
    const lframes = encodeLwwFrames(rules, limits)
    expect(lframes.flatMap((f) => decodeLww(f, limits))).toEqual(rules)
    expect(encodeDeltaFrames([])).toEqual([])
  })

  it('encode*Frames refuses an entry that no frame could carry', () => {
    codecError(() => encodeDeltaFrames([['x'.repeat(600), 1000, 0, 1]]))
    codecError(() => encodeStateFrames([['k', 1000, 0, Array.from({ length: 1025 }, (_, i) => [`n${i}`, 1] as [string, number])]]))
  })
})

describe('codec rejects malformed frames with CodecError', () => {
  const badDeltas: Array<[string, unknown]> = [
    ['not an array', { a: 1 }],
    ['empty frame', []],
    ['unknown version', [3, [1000, 0, 'k', 1]]],
    ['version missing', [[1000, 0, 'k', 1]]],
    ['group not an array', [1, 'group']],
    ['group without window', [1, [1000]]],
    ['odd group (key without value)', [1, [1000, 0, 'k']]],
    ['windowMs zero', [1, [0, 0, 'k', 1]]],
    ['windowMs negative', [1, [-1000, 0, 'k', 1]]],
    ['windowMs not an integer', [1, [1000.5, 0, 'k', 1]]],
    ['windowMs a string', [1, ['1000', 0, 'k', 1]]],
    ['window negative', [1, [1000, -1, 'k', 1]]],
    ['window not an integer', [1, [1000, 0.5, 'k', 1]]],
    ['value negative', [1, [1000, 0, 'k', -1]]],
    ['value NaN', [1, [1000, 0, 'k', Number.NaN]]],
    ['value Infinity', [1, [1000, 0, 'k', Infinity]]],
    ['value not an integer', [1, [1000, 0, 'k', 1.5]]],
    ['value beyond 2^53', [1, [1000, 0, 'k', 2 ** 60]]],
    ['value a string', [1, [1000, 0, 'k', '1']]],
    ['value null', [1, [1000, 0, 'k', null]]],
    ['value boolean', [1, [1000, 0, 'k', true]]],
    ['key a number', [1, [1000, 0, 7, 1]]],
    ['key empty', [1, [1000, 0, '', 1]]],
    ['key an array', [1, [1000, 0, ['k'], 1]]],
    ['value a date', [1, [1000, 0, 'k', new Date(0)]]],
  ]
  for (const [name, frame] of badDeltas) {
    it(`delta: ${name}`, () => {
      codecError(() => decodeDelta(pack(frame)))
    })
  }

  const badStates: Array<[string, unknown]> = [
    ['node table missing', [1]],
    ['node table not an array', [1, 'n', [1000, 0, 'k', [0, 1]]]],
    ['node id not a string', [1, [5], [1000, 0, 'k', [0, 1]]]],
    ['node id empty', [1, [''], [1000, 0, 'k', [0, 1]]]],
    ['slots not an array', [1, ['n'], [1000, 0, 'k', 5]]],
    ['slots odd', [1, ['n'], [1000, 0, 'k', [0]]]],
    ['node index out of range', [1, ['n'], [1000, 0, 'k', [1, 1]]]],
    ['node index negative', [1, ['n'], [1000, 0, 'k', [-1, 1]]]],
    ['node index fractional', [1, ['n'], [1000, 0, 'k', [0.5, 1]]]],
    ['slot value negative', [1, ['n'], [1000, 0, 'k', [0, -3]]]],
    ['slot value fractional', [1, ['n'], [1000, 0, 'k', [0, 2.5]]]],
    ['windowMs zero', [1, ['n'], [0, 0, 'k', [0, 1]]]],
  ]
  for (const [name, frame] of badStates) {
    it(`state: ${name}`, () => {
      codecError(() => decodeState(pack(frame)))
    })
  }

  const badRules: Array<[string, unknown]> = [
    ['entry not an array', [1, { key: 'r' }]],
    ['entry too short', [1, ['r', 1, 1, 0]]],
    ['entry too long', [1, ['r', 1, 1, 0, 'n', 'extra']]],
    ['key not a string', [1, [5, 1, 1, 0, 'n']]],
    ['wall negative', [1, ['r', 1, -1, 0, 'n']]],
    ['wall fractional', [1, ['r', 1, 1.5, 0, 'n']]],
    ['counter NaN', [1, ['r', 1, 1, Number.NaN, 'n']]],
    ['node not a string', [1, ['r', 1, 1, 0, 3]]],
    ['value a date', [1, ['r', new Date(0), 1, 0, 'n']]],
    ['value a binary blob', [1, ['r', new Uint8Array([1, 2]), 1, 0, 'n']]],
    ['value nested too deep', [1, ['r', JSON.parse('['.repeat(40) + ']'.repeat(40)), 1, 0, 'n']]],
  ]
  for (const [name, frame] of badRules) {
    it(`rules: ${name}`, () => {
      codecError(() => decodeLww(pack(frame)))
    })
  }

  it('truncated, trailing and non-MessagePack bytes', () => {
    const good = encodeDelta([['k', 1000, 0, 1]])
    codecError(() => decodeDelta(good.subarray(0, good.length - 1)))
    codecError(() => decodeDelta(new Uint8Array([...good, 0x01])))
    codecError(() => decodeDelta(new Uint8Array([0xc1])))
    codecError(() => decodeDelta(new Uint8Array([])))
    // An array header claiming 2^32 - 1 elements in a 5-byte frame.
    codecError(() => decodeDelta(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff])))
    // Deep nesting: 100k nested arrays.
    codecError(() => decodeDelta(new Uint8Array(100_000).fill(0x91)))
    codecError(() => decodeDelta('not bytes' as unknown as Uint8Array))
  })

  it('msgpackr extensions (records, regexps, errors, sets, bundles) never get through', () => {
    const frames = [
      [0xd4, 0x72, 0x40], // record definition
      [0xd4, 0x78, 0x92, 0xa1, 0x61, 0xa1, 0x67], // regexp ext
      [0xd4, 0x65, 0x92, 0xa1, 0x45, 0xa1, 0x6d], // error ext
      [0xd4, 0x73, 0x90], // set ext
      [0xd6, 0x62, 0x00, 0x00, 0x00, 0x00], // string bundle with a bogus size
      [0xd6, 0x62, 0xff, 0xff, 0xff, 0xff],
      [0xc7, 0x01, 0x42, 0x01], // bigint ext
    ]
    for (const f of frames) {
      codecError(() => decodeDelta(new Uint8Array(f)))
      codecError(() => decodeDelta(new Uint8Array([0x92, 0x01, ...f])))
      codecError(() => decodeLww(new Uint8Array([0x92, 0x01, 0x95, 0xa1, 0x72, ...f, 0x01, 0x00, 0xa1, 0x6e])))
    }
  })

  it('arbitrary bytes: only CodecError, never anything else, and decoding still works afterwards', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const decode of [decodeDelta, decodeState, decodeLww]) {
          try {
            decode(bytes)
          } catch (err) {
            if (!(err instanceof CodecError)) throw err
          }
        }
      }),
      { numRuns: 3000 },
    )
    expect(decodeDelta(encodeDelta([['k', 1000, 0, 1]]))).toEqual([['k', 1000, 0, 1]])
  })

  it('mutated valid frames: only CodecError or a fully valid result', () => {
    const base = [
      encodeDelta([['ip=1.2.3.4', 60_000, 28_333_334, 17, 2, 1], ['path=/items/*', 1000, 1_700_000_000, 3]]),
      encodeState([['ip=1.2.3.4', 60_000, 28_333_334, [['12D3KooWA', 4], ['12D3KooWB', 9]]]]),
      encodeLww([{ key: 'r1', value: { limit: 10, per: 'minute' }, stamp: { wall: 1_700_000_000_000, counter: 2, node: 'n' } }]),
    ]
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (which, flips) => {
          const bytes = Uint8Array.from(base[which]!)
          for (const [at, v] of flips) bytes[at % bytes.length] = v
          const decode = [decodeDelta, decodeState, decodeLww][which]!
          try {
            const out = decode(bytes)
            expect(Array.isArray(out)).toBe(true)
          } catch (err) {
            if (!(err instanceof CodecError)) throw err
          }
        },
      ),
      { numRuns: 3000 },
    )
  })
})
