// Errors of the local Meli-like origin. Code matches on `code`, never on message text.

/** An option passed to startOrigin() (or a flag of main.ts) is out of range. */
export class OriginOptionsError extends Error {
  override readonly name = 'OriginOptionsError'
  readonly code = 'MELIPROXY_ERR_ORIGIN_OPTIONS_INVALID'
}

/** The origin could not bind its host and port. */
export class OriginListenError extends Error {
  override readonly name = 'OriginListenError'
  readonly code = 'MELIPROXY_ERR_ORIGIN_LISTEN'
  readonly host: string
  readonly port: number
  constructor(host: string, port: number) {
    super(`origin could not listen on ${host}:${port} (address in use, not local, or not permitted)`)
    this.host = host
    this.port = port
  }
}

/** A fixture file is missing its sibling, unreadable, too large or malformed. */
export class OriginFixtureError extends Error {
  override readonly name = 'OriginFixtureError'
  readonly code = 'MELIPROXY_ERR_ORIGIN_FIXTURE_INVALID'
  readonly file: string
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`)
    this.file = file
  }
}

/** OriginEvents.waitFor() ran out of time before its condition held. */
export class OriginWaitTimeoutError extends Error {
  override readonly name = 'OriginWaitTimeoutError'
  readonly code = 'MELIPROXY_ERR_ORIGIN_WAIT_TIMEOUT'
}
