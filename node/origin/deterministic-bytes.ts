// The byte stream served by /__origin/bytes and /__origin/chunked: byte i is `i % 251`. 251 is prime, so
// the pattern does not line up with power-of-two chunk or buffer sizes, and a dropped, duplicated or
// reordered chunk changes what a client sees. Slices come from one precomputed block (one period longer
// than the largest chunk), so serving a slice copies nothing.

export const BYTE_PATTERN_PERIOD = 251

/** The longest slice served without copying (also the largest chunk /__origin/chunked accepts). */
export const MAX_ZERO_COPY_SLICE = BYTE_PATTERN_PERIOD * 4178 // 1,048,678 ≥ 1 MiB

let block: Buffer | undefined

function patternBlock(): Buffer {
  if (block === undefined) {
    block = Buffer.allocUnsafe(MAX_ZERO_COPY_SLICE + BYTE_PATTERN_PERIOD)
    for (let i = 0; i < block.length; i++) block[i] = i % BYTE_PATTERN_PERIOD
  }
  return block
}

/**
 * Bytes `offset .. offset + length - 1` of the pattern. Up to MAX_ZERO_COPY_SLICE bytes this is a view
 * of a shared block: callers must not write to it.
 */
export function deterministicBytes(offset: number, length: number): Buffer {
  const phase = offset % BYTE_PATTERN_PERIOD
  if (length <= MAX_ZERO_COPY_SLICE) return patternBlock().subarray(phase, phase + length)
  const out = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) out[i] = (phase + i) % BYTE_PATTERN_PERIOD
  return out
}
