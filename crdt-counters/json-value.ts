// Replicated rule values travel as MessagePack and are only ever plain data (what JSON can say). Anything else a
// MessagePack decoder can produce from hostile bytes (dates, regexps, errors, sets, binary, undefined, bigint) is
// refused at the codec, so the node's schema validation only ever sees plain data.

/** True when `value` is null, a boolean, a finite number, a string, or an array/plain object of those, nested at most `maxDepth` deep. */
export function isPlainData(value: unknown, maxDepth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value)
    case 'object': {
      if (value === null) return true
      if (maxDepth <= 0) return false
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isPlainData(value[i], maxDepth - 1)) return false
        return true
      }
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) return false
      for (const key in value) {
        if (!isPlainData((value as Record<string, unknown>)[key], maxDepth - 1)) return false
      }
      return true
    }
    default:
      return false
  }
}

/** Structural equality of two plain-data values (see isPlainData); key order of objects does not matter. */
export function plainDataEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!plainDataEqual(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false
    if (!plainDataEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false
  }
  return true
}
