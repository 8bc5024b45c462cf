// Errors of the gossip layer. Match on `code`, never on the message.

/** GossipInit (or a member added at run time) is invalid. `problems` name the field path, the bad value and what is allowed. */
export class GossipConfigError extends Error {
  override readonly name = 'GossipConfigError'
  readonly code = 'MELIPROXY_ERR_GOSSIP_CONFIG'
  readonly problems: string[]
  constructor(problems: string[]) {
    super(`invalid gossip configuration: ${problems.join('; ')}`)
    this.problems = problems
  }
}

/** The key pair file in dataDir cannot be read, parsed or written. */
export class GossipKeyError extends Error {
  override readonly name = 'GossipKeyError'
  readonly code = 'MELIPROXY_ERR_GOSSIP_KEY'
  readonly path: string
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(`gossip key file ${path}: ${reason}`, options)
    this.path = path
  }
}

/** The gossip host could not listen on its p2p address (e.g. the port is taken). */
export class GossipListenError extends Error {
  override readonly name = 'GossipListenError'
  readonly code = 'MELIPROXY_ERR_GOSSIP_LISTEN'
  readonly address: string
  constructor(address: string, reason: string, options?: ErrorOptions) {
    super(`cannot listen for gossip on ${address}: ${reason}`, options)
    this.address = address
  }
}

/** An argument of a call is invalid (method name, timeout, event name, handler). */
export class GossipArgumentError extends Error {
  override readonly name = 'GossipArgumentError'
  readonly code = 'MELIPROXY_ERR_GOSSIP_ARGUMENT'
}

/** A method was called in a state that does not allow it (start twice, request after stop, ...). */
export class GossipStateError extends Error {
  override readonly name = 'GossipStateError'
  readonly code = 'MELIPROXY_ERR_GOSSIP_STATE'
}

/** The gossip host was stopped while the operation was pending. */
export class GossipStoppedError extends Error {
  override readonly name = 'GossipStoppedError'
  readonly code = 'MELIPROXY_ERR_GOSSIP_STOPPED'
  constructor(what: string) {
    super(`${what}: the gossip host stopped`)
  }
}

/** A request got no response within its timeout. */
export class GossipTimeoutError extends Error {
  override readonly name = 'GossipTimeoutError'
  readonly code = 'MELIPROXY_ERR_GOSSIP_TIMEOUT'
  readonly peer: string
  readonly method: string
  readonly timeoutMs: number
  constructor(peer: string, method: string, timeoutMs: number) {
    super(`request ${method} to ${peer} got no response within ${timeoutMs} ms`)
    this.peer = peer
    this.method = method
    this.timeoutMs = timeoutMs
  }
}

/** The name or peer id given is not a member of the cluster. */
export class GossipUnknownMemberError extends Error {
  override readonly name = 'GossipUnknownMemberError'
  readonly code = 'MELIPROXY_ERR_GOSSIP_UNKNOWN_MEMBER'
  readonly peer: string
  constructor(peer: string) {
    super(`${JSON.stringify(peer)} is not a member name or peer id of this cluster`)
    this.peer = peer
  }
}

/** There is no open gossip stream to the member (it is down or still connecting), or it closed mid-request. */
export class GossipPeerUnavailableError extends Error {
  override readonly name = 'GossipPeerUnavailableError'
  readonly code = 'MELIPROXY_ERR_GOSSIP_PEER_UNAVAILABLE'
  readonly peer: string
  constructor(peer: string, reason: string) {
    super(`member ${peer} is unavailable: ${reason}`)
    this.peer = peer
  }
}

/** The remote handler failed. `remoteCode` is the `code` of what it threw (or one of REMOTE_CODE_*), if any. */
export class GossipRemoteError extends Error {
  override readonly name = 'GossipRemoteError'
  readonly code = 'MELIPROXY_ERR_GOSSIP_REMOTE'
  readonly peer: string
  readonly method: string
  readonly remoteCode: string | undefined
  constructor(peer: string, method: string, message: string, remoteCode: string | undefined) {
    super(`request ${method} to ${peer} failed remotely: ${message}`)
    this.peer = peer
    this.method = method
    this.remoteCode = remoteCode
  }
}

/** Remote codes the gossip layer itself answers with (seen as GossipRemoteError.remoteCode). */
export const REMOTE_CODE_NO_HANDLER = 'MELIPROXY_ERR_GOSSIP_NO_HANDLER'
export const REMOTE_CODE_BUSY = 'MELIPROXY_ERR_GOSSIP_BUSY'

/** An outbound frame (request, response, delta or snapshot) would exceed maxFrameBytes. */
export class GossipFrameTooLargeError extends Error {
  override readonly name = 'GossipFrameTooLargeError'
  readonly code = 'MELIPROXY_ERR_GOSSIP_FRAME_TOO_LARGE'
  readonly bytes: number
  readonly maxFrameBytes: number
  constructor(what: string, bytes: number, maxFrameBytes: number) {
    super(`${what} is ${bytes} bytes encoded, over the frame limit of ${maxFrameBytes} bytes (gossip.maxFrameBytes)`)
    this.bytes = bytes
    this.maxFrameBytes = maxFrameBytes
  }
}

/** An inbound frame is oversized, undecodable, of an unknown type or channel, or out of protocol order. */
export class GossipMalformedFrameError extends Error {
  override readonly name = 'GossipMalformedFrameError'
  readonly code = 'MELIPROXY_ERR_GOSSIP_MALFORMED_FRAME'
}

/** A peer's hello was refused: not a member, contradicting peer id, other cluster or protocol version. */
export class GossipPeerRejectedError extends Error {
  override readonly name = 'GossipPeerRejectedError'
  readonly code = 'MELIPROXY_ERR_GOSSIP_PEER_REJECTED'
}

/** A peer stopped reading: more than the write buffer limit was queued for it, so its stream is reset. */
export class GossipSlowPeerError extends Error {
  override readonly name = 'GossipSlowPeerError'
  readonly code = 'MELIPROXY_ERR_GOSSIP_SLOW_PEER'
}
