// Counter keys: the rule id, then one value per `by` dimension, joined by "|". Ids cannot contain "|", and a value
// that contains "|", starts with "#" or is longer than 256 UTF-8 bytes is replaced by "#" and a SHA-256 digest
// prefix. So a key always splits back into the id and its values, a raw value can never pose as a hashed one,
// and a client cannot grow keys (memory, gossip bytes) by sending a long header or path.
import { hash } from 'node:crypto'

export const KEY_SEPARATOR = '|'
export const HASHED_VALUE_MARK = '#'
export const MAX_KEY_VALUE_BYTES = 256

// A UTF-16 code unit is at most 3 UTF-8 bytes, so up to this many code units fit without measuring.
const SURELY_SHORT = Math.floor(MAX_KEY_VALUE_BYTES / 3)

/** The form of one `by` value inside a key. */
export function keyValue(value: string): string {
  const n = value.length
  const needsHash =
    (n > SURELY_SHORT && (n > MAX_KEY_VALUE_BYTES || Buffer.byteLength(value, 'utf8') > MAX_KEY_VALUE_BYTES)) ||
    value.indexOf(KEY_SEPARATOR) >= 0 ||
    value.charCodeAt(0) === 35
  // 128 bits of SHA-256: a client cannot craft a value that lands on someone else's counter.
  return needsHash ? HASHED_VALUE_MARK + hash('sha256', value, 'base64url').slice(0, 22) : value
}
