// The node identity: created once with mode 0600, reused, shared by concurrent creators, and a clear error for a
// corrupt key file.
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { PEER_KEY_FILE } from '../constants.js'
import { loadOrCreatePeerId } from '../peer-key.js'

let dir: string | undefined
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  dir = undefined
})

describe('peer key', () => {
  it('is created once, private to the owner, and reused', async () => {
    dir = await mkdtemp(join(tmpdir(), 'meliproxy-key-'))
    const dataDir = join(dir, 'nested', 'data')
    const first = await loadOrCreatePeerId(dataDir)
    expect(first).toMatch(/^12D3KooW[1-9A-HJ-NP-Za-km-z]+$/)
    expect((await stat(join(dataDir, PEER_KEY_FILE))).mode & 0o777).toBe(0o600)
    expect(await loadOrCreatePeerId(dataDir)).toBe(first)
    expect(await readdir(dataDir)).toEqual([PEER_KEY_FILE]) // no temporary file left behind
  })

  it('concurrent creators on one data directory agree on one identity', async () => {
    dir = await mkdtemp(join(tmpdir(), 'meliproxy-key-'))
    const ids = await Promise.all(Array.from({ length: 8 }, () => loadOrCreatePeerId(dir as string)))
    expect(new Set(ids).size).toBe(1)
    expect(await loadOrCreatePeerId(dir)).toBe(ids[0])
  })

  it('a corrupt key file is a GossipKeyError naming the file, and is left alone', async () => {
    dir = await mkdtemp(join(tmpdir(), 'meliproxy-key-'))
    await writeFile(join(dir, PEER_KEY_FILE), 'not a key')
    await expect(loadOrCreatePeerId(dir)).rejects.toMatchObject({ code: 'MELIPROXY_ERR_GOSSIP_KEY', path: join(dir, PEER_KEY_FILE) })
    await expect(loadOrCreatePeerId(dir)).rejects.toMatchObject({ code: 'MELIPROXY_ERR_GOSSIP_KEY' })
  })
})
