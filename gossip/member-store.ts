// Members added at run time (addMember) are remembered in dataDir, so a restarted node still knows them even
// when cluster.yml was not edited. The file is rewritten whole through a temporary file and rename(2), so a crash
// leaves the old list or the new one, never half of either.

import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { MEMBERS_FILE } from './constants.js'
import { GossipConfigError } from './errors.js'
import type { GossipMember } from './index.js'

const storedMembers = z.array(
  z.object({ name: z.string(), p2p: z.string(), peerId: z.string().optional() }),
)

/** The members added at run time, [] when none were. Throws GossipConfigError when the file is unreadable. */
export async function loadAddedMembers(dataDir: string): Promise<GossipMember[]> {
  const path = join(dataDir, MEMBERS_FILE)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new GossipConfigError([`${path}: cannot be read (${(err as Error).message})`])
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new GossipConfigError([`${path}: is not JSON; fix or delete it (it only holds members added at run time)`])
  }
  const result = storedMembers.safeParse(parsed)
  if (!result.success) {
    throw new GossipConfigError([`${path}: is not a list of {name, p2p, peerId?}; fix or delete it`])
  }
  return result.data.map((m) => (m.peerId === undefined ? { name: m.name, p2p: m.p2p } : m))
}

export async function saveAddedMembers(dataDir: string, members: readonly GossipMember[]): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const path = join(dataDir, MEMBERS_FILE)
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  const rows = members.map((m) => (m.peerId === undefined ? { name: m.name, p2p: m.p2p } : { name: m.name, p2p: m.p2p, peerId: m.peerId }))
  try {
    await writeFile(tmp, JSON.stringify(rows, null, 2) + '\n', { mode: 0o600 })
    await rename(tmp, path)
  } finally {
    await unlink(tmp).catch(() => undefined)
  }
}
