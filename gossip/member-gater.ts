// The libp2p connection gater of a cluster whose members are pinned by peer id: dials to, and encrypted
// connections from or to, any other peer id are refused. Inbound, the check runs once Noise has authenticated
// the remote (the outsider's dial briefly looks open, then is closed), before any stream or handler of ours.

import type { ConnectionGater, PeerId } from '@libp2p/interface'

/** Contract: isMember is called for every dial and every new encrypted connection; it reads a live set. */
export function memberGater(isMember: (peerId: string) => boolean): ConnectionGater {
  const deny = (peerId: PeerId): boolean => !isMember(peerId.toString())
  return {
    denyDialPeer: deny,
    denyInboundEncryptedConnection: deny,
    denyOutboundEncryptedConnection: deny,
  }
}
