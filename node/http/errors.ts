export class ListenError extends Error {
  override readonly name = 'ListenError'
  readonly code = 'MELIPROXY_ERR_LISTEN'
  readonly address: string
  constructor(what: 'http' | 'admin' | 'p2p' | 'origin', address: string) {
    super(`cannot listen on ${address} for ${what}: the address is in use or not available on this machine`)
    this.address = address
  }
}
