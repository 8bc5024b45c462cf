// The libp2p private-network (pnet) key of a cluster, derived from its shared secret with HKDF-SHA256, so every
// member holding the secret computes the same 32-byte key and nobody has to distribute a swarm.key file.
// Connections from hosts without it fail the pnet handshake before Noise even starts.

import { hkdfSync } from 'node:crypto'
import { SWARM_KEY_SALT } from './constants.js'

const SWARM_KEY_HEADER = '/key/swarm/psk/1.0.0/\n/base16/\n'

/** The swarm key file contents (the format @libp2p/pnet's preSharedKey expects) derived from the cluster secret. */
export function swarmKeyFromSecret(secret: string): Uint8Array {
  const key = Buffer.from(hkdfSync('sha256', secret, SWARM_KEY_SALT, 'swarm-key', 32))
  return Buffer.from(SWARM_KEY_HEADER + key.toString('hex'), 'utf8')
}
