// Wire format of counter deltas, counter state and replicated rules: MessagePack (msgpackr), with hard limits.
//
// Frames are arrays whose first element is the format version. Entries that share (windowMs, window) are grouped so
// those two numbers are written once per group, and a state frame names each node once in a table and refers to it
// by index:
//   delta v1: [1, [windowMs, window, key, value, key, value, ...], ...]
//   state v1: [1, [nodeId, ...], [windowMs, window, key, [nodeIdx, value, nodeIdx, value, ...], key, [...], ...], ...]
//   rules v1: [1, [key, value | null, wall, counter, node], ...]
// Version 2 of delta and state frames is version 1 where a value may instead be [value, refused] (refused >= 1: the
// node's split refusals in that cell, see window-series.ts) or, in deltas only, [value, refused, claim] (refused >= 0,
// claim: the part of the key's budget the node may still admit, sent while the key is split). A frame is written as
// version 2 only when one of its entries needs it, so traffic of keys far from their limits stays version 1, byte for
// byte.
//
// Decoding is for bytes from the network: the size is checked before parsing, every structural and type rule after
// it, and anything wrong (including whatever msgpackr itself throws on broken input) becomes a CodecError. The
// limits bound the work and memory one frame can cause. encode*Frames split large exchanges into frames that stay
// within a receiver's limits.
import { Packr, Unpackr } from 'msgpackr'
import { CodecError } from './errors.js'
import type { Hlc } from './hlc.js'
import { isPlainData } from './json-value.js'
import { utf8Length } from './utf8-length.js'
import type { LwwEntry } from './lww-map.js'
import type { DeltaEntry, StateEntry } from './window-counters.js'

export interface CodecLimits {
  /** Largest frame accepted, in bytes. */
  maxBytes: number
  /** Most entries in one frame (delta entries, state cells, rule entries). */
  maxEntries: number
  /** Longest key or node id, in UTF-8 bytes. */
  maxKeyBytes: number
  /** Most slots in one state cell, and most node ids in one state frame. */
  maxSlots: number
}

export const DEFAULT_CODEC_LIMITS: Readonly<CodecLimits> = Object.freeze({
  maxBytes: 1024 * 1024,
  maxEntries: 50_000,
  maxKeyBytes: 512,
  maxSlots: 1024,
})

/** Deepest nesting accepted inside a replicated rule value. */
export const MAX_VALUE_DEPTH = 32

const FORMAT_VERSION = 1
/** Delta and state frames whose values may be [value, refused] pairs. */
const FORMAT_VERSION_REFUSALS = 2

// skipValues drops object properties whose value is undefined, as JSON.stringify does (a rule object with an
// optional field left undefined must still replicate); msgpackr supports it but its typings do not list it.
const packr = new Packr({ useRecords: false, skipValues: [undefined] } as ConstructorParameters<typeof Packr>[0])
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' })

// ---- counters ----

export function encodeDelta(entries: DeltaEntry[]): Uint8Array {
  const frame: unknown[] = [FORMAT_VERSION]
  const groups = new Map<string, unknown[]>()
  for (const [key, windowMs, window, value, refused, claim] of entries) {
    const id = `${windowMs}:${window}`
    let group = groups.get(id)
    if (group === undefined) {
      group = [windowMs, window]
      groups.set(id, group)
      frame.push(group)
    }
    if (claim !== undefined) {
      frame[0] = FORMAT_VERSION_REFUSALS
      group.push(key, [value, refused ?? 0, claim])
    } else if (refused !== undefined && refused > 0) {
      frame[0] = FORMAT_VERSION_REFUSALS
      group.push(key, [value, refused])
    } else {
      group.push(key, value)
    }
  }
  return packr.pack(frame)
}

export function decodeDelta(bytes: Uint8Array, limits: CodecLimits = DEFAULT_CODEC_LIMITS): DeltaEntry[] {
  const frame = parseFrame(bytes, limits, FORMAT_VERSION_REFUSALS)
  const pairs = frame[0] === FORMAT_VERSION_REFUSALS
  const out: DeltaEntry[] = []
  for (let g = 1; g < frame.length; g++) {
    const group = frame[g]
    if (!Array.isArray(group)) throw new CodecError(`[${g}]`, 'a group must be an array')
    if (group.length < 2 || group.length % 2 !== 0) {
      throw new CodecError(`[${g}]`, `a group must be [windowMs, window, key, value, ...], got ${group.length} elements`)
    }
    const windowMs = windowLength(group[0], `[${g}][0]`)
    const window = windowNumber(group[1], `[${g}][1]`)
    if (out.length + (group.length - 2) / 2 > limits.maxEntries) {
      throw new CodecError(`[${g}]`, `more than ${limits.maxEntries} entries`)
    }
    for (let i = 2; i < group.length; i += 2) {
      const key = keyString(group[i], limits, `[${g}][${i}]`)
      const v = group[i + 1]
      if (pairs && Array.isArray(v)) {
        const at = `[${g}][${i + 1}]`
        if (v.length === 3) out.push([key, windowMs, window, count(v[0], `${at}[0]`), count(v[1], `${at}[1]`), count(v[2], `${at}[2]`)])
        else {
          const [value, refused] = valueAndRefused(v, at)
          out.push([key, windowMs, window, value, refused])
        }
      } else {
        out.push([key, windowMs, window, count(v, `[${g}][${i + 1}]`)])
      }
    }
  }
  return out
}

export function encodeState(entries: StateEntry[]): Uint8Array {
  const nodes: string[] = []
  const nodeIndex = new Map<string, number>()
  const frame: unknown[] = [FORMAT_VERSION, nodes]
  const groups = new Map<string, unknown[]>()
  for (const [key, windowMs, window, slots] of entries) {
    const id = `${windowMs}:${window}`
    let group = groups.get(id)
    if (group === undefined) {
      group = [windowMs, window]
      groups.set(id, group)
      frame.push(group)
    }
    const flat: unknown[] = []
    for (const [node, value, refused] of slots) {
      let idx = nodeIndex.get(node)
      if (idx === undefined) {
        idx = nodes.length
        nodeIndex.set(node, idx)
        nodes.push(node)
      }
      if (refused !== undefined && refused > 0) {
        frame[0] = FORMAT_VERSION_REFUSALS
        flat.push(idx, [value, refused])
      } else {
        flat.push(idx, value)
      }
    }
    group.push(key, flat)
  }
  return packr.pack(frame)
}

export function decodeState(bytes: Uint8Array, limits: CodecLimits = DEFAULT_CODEC_LIMITS): StateEntry[] {
  const frame = parseFrame(bytes, limits, FORMAT_VERSION_REFUSALS)
  const pairs = frame[0] === FORMAT_VERSION_REFUSALS
  const table = frame[1]
  if (!Array.isArray(table)) throw new CodecError('[1]', 'the node table must be an array')
  if (table.length > limits.maxSlots) throw new CodecError('[1]', `more than ${limits.maxSlots} node ids`)
  const nodes: string[] = []
  for (let i = 0; i < table.length; i++) nodes.push(keyString(table[i], limits, `[1][${i}]`))
  const out: StateEntry[] = []
  for (let g = 2; g < frame.length; g++) {
    const group = frame[g]
    if (!Array.isArray(group)) throw new CodecError(`[${g}]`, 'a group must be an array')
    if (group.length < 2 || group.length % 2 !== 0) {
      throw new CodecError(`[${g}]`, `a group must be [windowMs, window, key, slots, ...], got ${group.length} elements`)
    }
    const windowMs = windowLength(group[0], `[${g}][0]`)
    const window = windowNumber(group[1], `[${g}][1]`)
    if (out.length + (group.length - 2) / 2 > limits.maxEntries) {
      throw new CodecError(`[${g}]`, `more than ${limits.maxEntries} entries`)
    }
    for (let i = 2; i < group.length; i += 2) {
      const key = keyString(group[i], limits, `[${g}][${i}]`)
      const flat = group[i + 1]
      const at = `[${g}][${i + 1}]`
      if (!Array.isArray(flat) || flat.length % 2 !== 0) {
        throw new CodecError(at, 'slots must be an array of [nodeIndex, value] pairs')
      }
      if (flat.length / 2 > limits.maxSlots) throw new CodecError(at, `more than ${limits.maxSlots} slots`)
      const slots: StateEntry[3] = []
      for (let j = 0; j < flat.length; j += 2) {
        const idx = flat[j]
        if (typeof idx !== 'number' || !Number.isInteger(idx) || idx < 0 || idx >= nodes.length) {
          throw new CodecError(`${at}[${j}]`, `${describe(idx)} is not an index into the node table`)
        }
        const v = flat[j + 1]
        if (pairs && Array.isArray(v)) {
          const [value, refused] = valueAndRefused(v, `${at}[${j + 1}]`)
          slots.push([nodes[idx]!, value, refused])
        } else {
          slots.push([nodes[idx]!, count(v, `${at}[${j + 1}]`)])
        }
      }
      out.push([key, windowMs, window, slots])
    }
  }
  return out
}

// ---- replicated rules ----

export function encodeLww(entries: LwwEntry<unknown>[]): Uint8Array {
  const frame: unknown[] = [FORMAT_VERSION]
  for (const e of entries) frame.push([e.key, e.value, e.stamp.wall, e.stamp.counter, e.stamp.node])
  return packr.pack(frame)
}

/**
 * Decodes replicated rule entries. Keys, stamps and sizes are validated here; values are only checked to be plain
 * data (null = tombstone) and stay `unknown`: the node validates them against its rule schema.
 */
export function decodeLww(bytes: Uint8Array, limits: CodecLimits = DEFAULT_CODEC_LIMITS): LwwEntry<unknown>[] {
  const frame = parseFrame(bytes, limits)
  if (frame.length - 1 > limits.maxEntries) throw new CodecError('', `more than ${limits.maxEntries} entries`)
  const out: LwwEntry<unknown>[] = []
  for (let i = 1; i < frame.length; i++) {
    const e = frame[i]
    const at = `[${i}]`
    if (!Array.isArray(e) || e.length !== 5) throw new CodecError(at, 'an entry must be [key, value, wall, counter, node]')
    const key = keyString(e[0], limits, `${at}[0]`)
    const value: unknown = e[1]
    if (!isPlainData(value, MAX_VALUE_DEPTH)) {
      throw new CodecError(`${at}[1]`, `value is not plain data (null, boolean, number, string, array, object; depth <= ${MAX_VALUE_DEPTH})`)
    }
    const stamp: Hlc = {
      wall: count(e[2], `${at}[2]`),
      counter: count(e[3], `${at}[3]`),
      node: keyString(e[4], limits, `${at}[4]`),
    }
    out.push({ key, value, stamp })
  }
  return out
}

// ---- splitting large exchanges into frames ----

/** Encodes `entries` as as many delta frames as needed for each to decode under `limits`. */
export function encodeDeltaFrames(entries: DeltaEntry[], limits: CodecLimits = DEFAULT_CODEC_LIMITS): Uint8Array[] {
  // Upper bound per entry: key (str header + bytes) + value (9), + 10 for [value, refused] and 9 more for the claim;
  // a new group costs at most 1 + 9 + 9 more.
  const size = (e: DeltaEntry) => strSize(e[0], limits) + 9 + 19 + (e[5] !== undefined ? 19 : e[4] !== undefined && e[4] > 0 ? 10 : 0)
  return chunked(entries, limits, size, encodeDelta, 0)
}

/** Encodes `entries` as as many state frames as needed for each to decode under `limits`. */
export function encodeStateFrames(entries: StateEntry[], limits: CodecLimits = DEFAULT_CODEC_LIMITS): Uint8Array[] {
  for (const e of entries) {
    if (e[3].length > limits.maxSlots) throw new CodecError('', `a cell of ${e[0]} has more than ${limits.maxSlots} slots`)
  }
  // Per entry: key + slots array (5 + 2 * 9 per slot, + 10 for [value, refused]) + group overhead, and each slot may
  // bring a new node id.
  const estimate = (e: StateEntry) => {
    let size = strSize(e[0], limits) + 5 + 19
    for (const [node, , refused] of e[3]) size += 18 + strSize(node, limits) + (refused !== undefined && refused > 0 ? 10 : 0)
    return size
  }
  return chunked(entries, limits, estimate, encodeState, 5)
}

/** Encodes `entries` as as many rule frames as needed for each to decode under `limits`. */
export function encodeLwwFrames(entries: LwwEntry<unknown>[], limits: CodecLimits = DEFAULT_CODEC_LIMITS): Uint8Array[] {
  const frames: Uint8Array[] = []
  let start = 0
  while (start < entries.length) {
    let end = Math.min(entries.length, start + limits.maxEntries)
    let bytes = encodeLww(entries.slice(start, end))
    while (bytes.length > limits.maxBytes && end - start > 1) {
      end = start + Math.ceil((end - start) / 2)
      bytes = encodeLww(entries.slice(start, end))
    }
    if (bytes.length > limits.maxBytes) {
      throw new CodecError('', `rule ${entries[start]!.key} alone encodes to ${bytes.length} bytes, over ${limits.maxBytes}`)
    }
    frames.push(bytes)
    start = end
  }
  return frames
}

function chunked<E extends [string, ...unknown[]]>(
  entries: E[],
  limits: CodecLimits,
  sizeOf: (e: E) => number,
  encode: (entries: E[]) => Uint8Array,
  frameOverhead: number,
): Uint8Array[] {
  const frames: Uint8Array[] = []
  let start = 0
  while (start < entries.length) {
    let bytes = 6 + frameOverhead
    let end = start
    while (end < entries.length && end - start < limits.maxEntries) {
      const size = sizeOf(entries[end]!)
      if (end > start && bytes + size > limits.maxBytes) break
      bytes += size
      end++
    }
    const frame = encode(entries.slice(start, end))
    if (frame.length > limits.maxBytes) {
      throw new CodecError('', `entry for ${entries[start]![0]} alone encodes to ${frame.length} bytes, over ${limits.maxBytes}`)
    }
    frames.push(frame)
    start = end
  }
  return frames
}

function strSize(s: string, limits: CodecLimits): number {
  const n = utf8Length(s)
  if (n > limits.maxKeyBytes) throw new CodecError('', `key or node id of ${n} bytes is over ${limits.maxKeyBytes}`)
  return n + 5
}

// ---- validation ----

/** Parses and checks the envelope; versions 1..maxVersion are accepted. */
function parseFrame(bytes: Uint8Array, limits: CodecLimits, maxVersion = FORMAT_VERSION): unknown[] {
  if (!(bytes instanceof Uint8Array)) throw new CodecError('', 'a frame must be a Uint8Array')
  if (bytes.length > limits.maxBytes) throw new CodecError('', `frame of ${bytes.length} bytes is over ${limits.maxBytes}`)
  let frame: unknown
  try {
    frame = unpackr.unpack(bytes)
  } catch (err) {
    throw new CodecError('', `not valid MessagePack (${err instanceof Error ? err.message : String(err)})`, { cause: err })
  }
  if (!Array.isArray(frame) || frame.length === 0) throw new CodecError('', 'a frame must be a non-empty array')
  const version = frame[0]
  if (typeof version !== 'number' || !Number.isInteger(version) || version < FORMAT_VERSION || version > maxVersion) {
    throw new CodecError('[0]', `unsupported format version ${describe(version)}`)
  }
  return frame
}

function keyString(value: unknown, limits: CodecLimits, at: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new CodecError(at, `${describe(value)} is not a non-empty string`)
  // A UTF-16 unit is at most 3 UTF-8 bytes: short strings need no counting.
  if (value.length * 3 > limits.maxKeyBytes) {
    const n = utf8Length(value)
    if (n > limits.maxKeyBytes) throw new CodecError(at, `string of ${n} UTF-8 bytes is over ${limits.maxKeyBytes}`)
  }
  return value
}

function count(value: unknown, at: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new CodecError(at, `${describe(value)} is not an integer >= 0`)
  }
  return value
}

/** A [value, refused] pair of a version 2 frame: two integers, value >= 0 and refused >= 1. */
function valueAndRefused(pair: unknown[], at: string): [number, number] {
  if (pair.length !== 2) throw new CodecError(at, `must be [value, refused] or, in a delta, [value, refused, claim]; got ${pair.length} elements`)
  const value = count(pair[0], `${at}[0]`)
  const refused = count(pair[1], `${at}[1]`)
  if (refused === 0) throw new CodecError(`${at}[1]`, 'refused 0 is written as a plain value, not a pair')
  return [value, refused]
}

function windowLength(value: unknown, at: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new CodecError(at, `windowMs ${describe(value)} is not a positive integer`)
  }
  return value
}

function windowNumber(value: unknown, at: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new CodecError(at, `window ${describe(value)} is not an integer >= 0`)
  }
  return value
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value)
  if (typeof value === 'bigint') return `${value}n`
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}
