// FNV-1a over the UTF-16 code units of a substring, so a path segment can be looked up without slicing it out of
// the path (slicing would allocate a string per segment per request). Results are int32: V8 keeps them as small
// integers, so Map lookups with them allocate nothing either.

export const FNV_OFFSET = 0x811c9dc5 | 0
export const FNV_PRIME = 0x01000193

export function segmentHash(text: string, start: number, end: number): number {
  let h = FNV_OFFSET
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME)
  return h
}
