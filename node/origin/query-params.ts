// Strict integer query parameters for the test endpoints: digits only (no sign, no exponent, no
// spaces), within [min, max]. A bad value is reported, never clamped, so a test that asks for the
// impossible learns it from a 400 instead of silently getting something else.

export interface IntParam {
  name: string
  min: number
  max: number
  /** Used when the parameter is absent or empty. */
  fallback: number
}

export type IntParamResult = { ok: true; value: number } | { ok: false; message: string }

/** `raw` is the decoded value as uWS returns it ('' when absent). */
export function parseIntParam(raw: string, spec: IntParam): IntParamResult {
  if (raw.length === 0) return { ok: true, value: spec.fallback }
  let value = 0
  for (let i = 0; i < raw.length; i++) {
    const d = raw.charCodeAt(i) - 48
    if (d < 0 || d > 9) return { ok: false, message: `${spec.name}: ${JSON.stringify(raw.slice(0, 40))} is not an integer in ${spec.min}..${spec.max}` }
    value = value * 10 + d
  }
  // Past 15 digits the number is no longer exact in a double, and every limit here is far below that.
  if (raw.length > 15) return outOfRange(raw, spec)
  if (value < spec.min || value > spec.max) return outOfRange(raw, spec)
  return { ok: true, value }
}

function outOfRange(raw: string, spec: IntParam): IntParamResult {
  return { ok: false, message: `${spec.name}: ${JSON.stringify(raw.slice(0, 40))} is outside ${spec.min}..${spec.max}` }
}
