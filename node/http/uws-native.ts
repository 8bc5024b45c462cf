// Loads uWebSockets.js's native addon directly, never through the package's entry point.
// The package's `require('@trufflesuite/uws-js-unofficial')` catches a failed native load, prints a
// warning and silently returns a slow pure-JS fallback (which crashed on the first request under
// Node 22). A proxy or origin running on that fallback would look healthy and be several times
// slower, so we resolve the exact binary for this platform, arch and Node ABI and refuse to go on
// when it does not load.
import { createRequire } from 'node:module'

export type Uws = typeof import('@trufflesuite/uws-js-unofficial')

/** Thrown when the native uWS binary for this platform/arch/Node ABI is missing or fails to load. */
export class UwsNativeUnavailableError extends Error {
  override readonly name = 'UwsNativeUnavailableError'
  readonly code = 'MELIPROXY_ERR_UWS_NATIVE_UNAVAILABLE'
  /** The module specifier that was tried, e.g. `@trufflesuite/uws-js-unofficial/binaries/uws_linux_x64_115.node`. */
  readonly binary: string

  constructor(binary: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super(
      `uWebSockets.js native binary ${binary} could not be loaded (${reason}). ` +
        `This build ships binaries for Node ABI 93/108/115 (Node 16/18/20) on linux, darwin and win32; ` +
        `you run Node ${process.versions.node} (ABI ${process.versions.modules}) on ${process.platform}/${process.arch}. ` +
        `Refusing to fall back to the slow JavaScript implementation: use Node 20.`,
      { cause },
    )
    this.binary = binary
  }
}

/** The specifier of the native binary matching the running process. */
export function uwsBinarySpecifier(): string {
  return `@trufflesuite/uws-js-unofficial/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`
}

let loaded: Uws | undefined

/**
 * Returns the native uWS module, loading it on the first call (later calls return the same object).
 * Throws `UwsNativeUnavailableError` when the binary is missing or fails to load; never returns the
 * JavaScript fallback.
 */
export function loadUws(): Uws {
  if (loaded !== undefined) return loaded
  const specifier = uwsBinarySpecifier()
  const require = createRequire(import.meta.url)
  let mod: unknown
  try {
    mod = require(specifier)
  } catch (err) {
    throw new UwsNativeUnavailableError(specifier, err)
  }
  if (typeof (mod as Partial<Uws> | null)?.App !== 'function') {
    throw new UwsNativeUnavailableError(specifier, new Error('the module does not export App()'))
  }
  // Without this, uWS adds "uWebSockets: 20" to every response: a proxy must not add headers of its own, and an
  // origin advertising its server library is noise. ('999999990007' is uWS.js's switch for that header.)
  ;(mod as { _cfg?: (key: string) => void })._cfg?.('999999990007')
  loaded = mod as Uws
  return loaded
}
