// Errors of crdt-counters. Callers match on `code`, never on message text.

/** A gossip frame (delta, state or replicated rules) that is malformed or over a hard limit. */
export class CodecError extends Error {
  override readonly name = 'CodecError'
  readonly code = 'MELIPROXY_ERR_CODEC' as const
  /** Path of the offending value inside the decoded frame, e.g. `entries[3][1]`; '' for the frame itself. */
  readonly path: string
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(path === '' ? message : `${path}: ${message}`, options)
    this.path = path
  }
}

/** A caller passed an argument that would break a counter's invariants (negative increment, bad window length...). */
export class CounterArgumentError extends Error {
  override readonly name = 'CounterArgumentError'
  readonly code = 'MELIPROXY_ERR_COUNTER_ARGUMENT' as const
  constructor(message: string) {
    super(message)
  }
}
