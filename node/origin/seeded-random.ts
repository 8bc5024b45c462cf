// Deterministic pseudo-randomness for generated Meli resources: the same key (e.g. an item id) always
// yields the same sequence, on every machine and every run, so the same URL returns the same bytes.
// FNV-1a hashes the key into a 32-bit seed; mulberry32 expands it (small, fast, good enough for fake data).

export function fnv1a32(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

export class SeededRandom {
  private state: number

  constructor(key: string) {
    this.state = fnv1a32(key)
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!
  }

  bool(probabilityTrue: number): boolean {
    return this.next() < probabilityTrue
  }

  /** `count` hexadecimal digits. */
  hex(count: number): string {
    let out = ''
    for (let i = 0; i < count; i++) out += Math.floor(this.next() * 16).toString(16)
    return out
  }
}

/** A UUID-shaped identifier derived from `key` (Meli's x-request-id format), stable across runs. */
export function stableRequestId(key: string): string {
  const r = new SeededRandom(`x-request-id:${key}`)
  return `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`
}
