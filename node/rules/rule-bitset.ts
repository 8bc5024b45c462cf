// Sets of rules as bitsets (bit i = rule i): each kind of condition yields the rules it lets through, and a request's
// candidates are the AND of those sets. With a few hundred rules this is a handful of 32-bit words per request.

export function bitsetWords(ruleCount: number): number {
  return Math.max(1, Math.ceil(ruleCount / 32))
}

export function setBit(bits: Uint32Array, rule: number): void {
  bits[rule >>> 5] = (bits[rule >>> 5]! | (1 << (rule & 31))) >>> 0
}

export function hasBit(bits: Uint32Array, rule: number): boolean {
  return (bits[rule >>> 5]! & (1 << (rule & 31))) !== 0
}

/** target |= source */
export function orInto(target: Uint32Array, source: Uint32Array): void {
  for (let k = 0; k < target.length; k++) target[k] = target[k]! | source[k]!
}

/** target &= source; returns whether any bit is left. */
export function andInto(target: Uint32Array, source: Uint32Array): boolean {
  let any = 0
  for (let k = 0; k < target.length; k++) {
    const v = target[k]! & source[k]!
    target[k] = v
    any |= v
  }
  return any !== 0
}
