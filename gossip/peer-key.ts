// The node's libp2p identity: an Ed25519 key pair stored once in dataDir and reused on every start, so the
// peer id (the node's identity in counters, stats and the admin API) survives restarts.
//
// Creation is atomic and never clobbers: the key is written to a private temporary file (mode 0600), fsynced,
// then hard-linked into place. link(2) fails with EEXIST when another process created the key first, and we
// read theirs instead, so two processes starting on one dataDir agree on one identity. Filesystems without
// hard links fall back to rename(2).

import { randomBytes } from 'node:crypto'
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { PEER_KEY_FILE } from './constants.js'
import { GossipKeyError } from './errors.js'

/** Loads the key pair from dataDir, creating it (and dataDir) when absent. Throws GossipKeyError when unusable. */
export async function loadOrCreatePrivateKey(dataDir: string): Promise<PrivateKey> {
  const path = join(dataDir, PEER_KEY_FILE)
  const existing = await readKey(path)
  if (existing !== undefined) return existing
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const key = await generateKeyPair('Ed25519')
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  try {
    const handle = await open(tmp, 'wx', 0o600)
    try {
      await handle.writeFile(privateKeyToProtobuf(key))
      await handle.sync()
    } finally {
      await handle.close()
    }
    try {
      await link(tmp, path)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EEXIST') {
        const winner = await readKey(path)
        if (winner === undefined) throw new GossipKeyError(path, 'vanished while being created', { cause: err })
        return winner
      }
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw err
      await rename(tmp, path)
    }
  } catch (err) {
    if (err instanceof GossipKeyError) throw err
    throw new GossipKeyError(path, `cannot be created (${(err as Error).message})`, { cause: err })
  } finally {
    await unlink(tmp).catch(() => undefined)
  }
  return key
}

/** The peer id of the node whose data directory is dataDir (creating its key when absent): what `meliproxy keygen` prints. */
export async function loadOrCreatePeerId(dataDir: string): Promise<string> {
  return peerIdFromPrivateKey(await loadOrCreatePrivateKey(dataDir)).toString()
}

async function readKey(path: string): Promise<PrivateKey | undefined> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new GossipKeyError(path, `cannot be read (${(err as Error).message})`, { cause: err })
  }
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new GossipKeyError(path, 'is not a libp2p private key (protobuf); move it away to create a new identity', {
      cause: err,
    })
  }
}
