// `meliproxy keygen`: creates (or reads) each node's libp2p key pair in its dataDir and prints the peer ids, ready
// to paste into cluster.yml as `peerId:` so that only those keys may join (no shared secret needed).
import { mkdirSync } from 'node:fs'
import { loadOrCreatePeerId } from '../gossip/index.js'
import { loadConfigFile } from './config/load-config.js'

export async function runKeygen(file: string): Promise<number> {
  const { config } = loadConfigFile(file)
  const lines = [`# peer ids of ${file} (key pairs in each node's dataDir; keep those private)`]
  for (const node of config.nodes) {
    mkdirSync(node.dataDir, { recursive: true, mode: 0o700 })
    lines.push(`${node.id}: ${await loadOrCreatePeerId(node.dataDir)}   # ${node.dataDir}`)
  }
  process.stdout.write(lines.join('\n') + '\n')
  return 0
}
