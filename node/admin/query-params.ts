// Query-string parameters of the admin API, validated with the same "path: value what is allowed" wording as
// bodies (`query.from: "yesterday" is not a time (ms since the epoch or an ISO 8601 date)`).
import { describeValue } from '../config/validation-error.js'
import { AdminBadRequestError } from './errors.js'

/** Longer parameter values are refused before they are parsed. */
export const MAX_PARAM_CHARS = 1024
const DIGITS = /^-?\d{1,16}$/
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/

export function badParam(name: string, value: unknown, allowed: string): AdminBadRequestError {
  const line = `query.${name}: ${describeValue(value)} ${allowed}`
  return new AdminBadRequestError(`bad query parameter: ${line}`, [line])
}

/** The parameter's value, or undefined when absent; over-long values are refused. */
export function param(query: URLSearchParams, name: string): string | undefined {
  const v = query.get(name)
  if (v === null) return undefined
  if (v.length > MAX_PARAM_CHARS) throw badParam(name, v, `is longer than ${MAX_PARAM_CHARS} characters`)
  return v
}

/** A time as milliseconds since the epoch (`1764201600000`) or an ISO 8601 date (`2025-11-27T00:00:00Z`). */
export function timeParam(query: URLSearchParams, name: string, fallback: number): number {
  const v = param(query, name)
  if (v === undefined || v === '') return fallback
  let t = NaN
  if (DIGITS.test(v)) t = Number(v)
  else if (ISO_DATE.test(v)) t = Date.parse(v)
  if (!Number.isSafeInteger(t) || t < 0) throw badParam(name, v, 'is not a time (ms since the epoch, or an ISO 8601 date such as 2025-11-27T00:00:00Z)')
  return t
}

export function integerParam(query: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const v = param(query, name)
  if (v === undefined || v === '') return fallback
  const n = DIGITS.test(v) ? Number(v) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) throw badParam(name, v, `is not an integer from ${min} to ${max}`)
  return n
}

export function enumParam<T extends string>(query: URLSearchParams, name: string, allowed: readonly T[], fallback: T): T {
  const v = param(query, name)
  if (v === undefined || v === '') return fallback
  if (!(allowed as readonly string[]).includes(v)) throw badParam(name, v, `is not one of: ${allowed.join(', ')}`)
  return v as T
}
