// Validation of GossipInit. cluster.yml is validated by the node before it gets here; this is the gossip layer's
// own guard for every caller, and it fills the defaults. Each problem names the field path, the bad value and what
// is allowed.

import { peerIdFromString } from '@libp2p/peer-id'
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_CLUSTER_NAME,
  MAX_CHANNEL_NAME_LENGTH,
  MAX_CHANNELS,
  MAX_CLUSTER_NAME_LENGTH,
  MAX_MEMBER_NAME_LENGTH,
} from './constants.js'
import { GossipConfigError } from './errors.js'
import type { GossipInit, GossipMember, ReplicatedChannel } from './index.js'
import { parseHostPort, type HostPort } from './member-address.js'

export interface MemberConfig {
  name: string
  p2p: string
  hostPort: HostPort
  peerId: string | null
}

export interface GossipConfig {
  self: MemberConfig
  /** Every member but self, in config order. */
  peers: MemberConfig[]
  dataDir: string
  secret: string | undefined
  cluster: string
  intervalMs: number
  batchSize: number
  suspectAfterMs: number
  syncTimeoutMs: number
  maxFrameBytes: number
  channels: Map<string, ReplicatedChannel>
  logger: GossipInit['logger']
  now: () => number
  onHeard: ((peerId: string, now: number) => void) | undefined
}

const MAX_FRAME_BYTES_LIMIT = 256 * 1024 * 1024
const CHANNEL_METHODS = ['takeDelta', 'pendingSize', 'applyDelta', 'snapshot', 'applySnapshot'] as const
const LOGGER_METHODS = ['info', 'warn', 'error', 'debug'] as const

export function validateGossipInit(init: GossipInit): GossipConfig {
  const problems: string[] = []
  const self = checkMember(init.self, 'self', problems)
  const members: MemberConfig[] = []
  if (!Array.isArray(init.members)) {
    problems.push(`members: ${show(init.members)} is not a list of members`)
  } else {
    init.members.forEach((m, i) => {
      const member = checkMember(m, `members[${i}]`, problems)
      if (member !== undefined) members.push(member)
    })
  }
  checkUnique(members, problems)
  const selfEntry = self === undefined ? undefined : members.find((m) => m.name === self.name)
  if (self !== undefined && Array.isArray(init.members)) {
    if (selfEntry === undefined) problems.push(`self.name: ${show(self.name)} is not one of the members' names`)
    else if (selfEntry.p2p !== self.p2p) {
      problems.push(`self.p2p: ${show(self.p2p)} differs from member ${show(self.name)}'s p2p ${show(selfEntry.p2p)}`)
    }
  }
  if (typeof init.dataDir !== 'string' || init.dataDir.length === 0) problems.push(`dataDir: ${show(init.dataDir)} is not a directory path`)
  if (init.secret !== undefined && (typeof init.secret !== 'string' || init.secret.length === 0)) {
    problems.push('secret: is not a non-empty string')
  }
  const cluster = init.cluster ?? DEFAULT_CLUSTER_NAME
  if (typeof cluster !== 'string' || cluster.length === 0 || cluster.length > MAX_CLUSTER_NAME_LENGTH) {
    problems.push(`cluster: ${show(cluster)} is not a name of 1–${MAX_CLUSTER_NAME_LENGTH} characters`)
  }
  const intervalMs = checkInt(init.intervalMs, 'intervalMs', 1, 60_000, undefined, problems)
  const batchSize = checkInt(init.batchSize, 'batchSize', 1, 100_000_000, DEFAULT_BATCH_SIZE, problems)
  const suspectAfterMs = checkInt(init.suspectAfterMs, 'suspectAfterMs', 4, 3_600_000, undefined, problems)
  const syncTimeoutMs = checkInt(init.syncTimeoutMs, 'syncTimeoutMs', 0, 3_600_000, undefined, problems)
  const maxFrameBytes = checkInt(init.maxFrameBytes, 'maxFrameBytes', 1024, MAX_FRAME_BYTES_LIMIT, undefined, problems)
  const channels = checkChannels(init.channels, problems)
  if (typeof init.logger !== 'object' || init.logger === null || LOGGER_METHODS.some((k) => typeof init.logger[k] !== 'function')) {
    problems.push('logger: is not an object with info, warn, error and debug methods')
  }
  if (init.now !== undefined && typeof init.now !== 'function') problems.push('now: is not a function returning wall ms')
  if (init.onHeard !== undefined && typeof init.onHeard !== 'function') problems.push('onHeard: is not a function (peerId, now) => void')
  if (problems.length > 0 || self === undefined) throw new GossipConfigError(problems)
  return {
    self,
    peers: members.filter((m) => m.name !== self.name),
    dataDir: init.dataDir,
    secret: init.secret,
    cluster,
    intervalMs,
    batchSize,
    suspectAfterMs,
    syncTimeoutMs,
    maxFrameBytes,
    channels,
    logger: init.logger,
    now: init.now ?? Date.now,
    onHeard: init.onHeard,
  }
}

/** Validates a member given to addMember against the current ones (by name and peer id). */
export function validateAddedMember(m: GossipMember, existing: readonly MemberConfig[]): MemberConfig {
  const problems: string[] = []
  const member = checkMember(m, 'member', problems)
  if (member !== undefined) {
    if (existing.some((e) => e.name === member.name)) problems.push(`member.name: ${show(member.name)} is already a member`)
    if (member.peerId !== null && existing.some((e) => e.peerId === member.peerId)) {
      problems.push(`member.peerId: ${show(member.peerId)} already belongs to another member`)
    }
  }
  if (problems.length > 0 || member === undefined) throw new GossipConfigError(problems)
  return member
}

function checkMember(m: GossipMember, path: string, problems: string[]): MemberConfig | undefined {
  if (typeof m !== 'object' || m === null) {
    problems.push(`${path}: ${show(m)} is not a member {name, p2p, peerId?}`)
    return undefined
  }
  const before = problems.length
  if (typeof m.name !== 'string' || m.name.length === 0 || m.name.length > MAX_MEMBER_NAME_LENGTH) {
    problems.push(`${path}.name: ${show(m.name)} is not a name of 1–${MAX_MEMBER_NAME_LENGTH} characters`)
  }
  const hostPort = typeof m.p2p === 'string' ? parseHostPort(m.p2p) : undefined
  if (hostPort === undefined) problems.push(`${path}.p2p: ${show(m.p2p)} is not a "host:port" address with a port from 1 to 65535`)
  let peerId: string | null = null
  if (m.peerId !== undefined) {
    try {
      peerId = peerIdFromString(String(m.peerId)).toString()
    } catch {
      problems.push(`${path}.peerId: ${show(m.peerId)} is not a libp2p peer id`)
    }
  }
  if (problems.length > before || hostPort === undefined) return undefined
  return { name: m.name, p2p: m.p2p, hostPort, peerId }
}

function checkUnique(members: readonly MemberConfig[], problems: string[]): void {
  const names = new Set<string>()
  const peerIds = new Set<string>()
  const addresses = new Set<string>()
  for (const m of members) {
    if (names.has(m.name)) problems.push(`members: name ${show(m.name)} appears more than once`)
    if (m.peerId !== null && peerIds.has(m.peerId)) problems.push(`members: peerId ${show(m.peerId)} appears more than once`)
    if (addresses.has(m.p2p)) problems.push(`members: p2p address ${show(m.p2p)} appears more than once`)
    names.add(m.name)
    if (m.peerId !== null) peerIds.add(m.peerId)
    addresses.add(m.p2p)
  }
}

function checkInt(
  value: number | undefined,
  path: string,
  min: number,
  max: number,
  fallback: number | undefined,
  problems: string[],
): number {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`${path}: ${show(value)} is not an integer from ${min} to ${max}`)
    return min
  }
  return value
}

function checkChannels(channels: GossipInit['channels'], problems: string[]): Map<string, ReplicatedChannel> {
  const out = new Map<string, ReplicatedChannel>()
  if (typeof channels !== 'object' || channels === null) {
    problems.push('channels: is not a record of channel name → ReplicatedChannel')
    return out
  }
  const names = Object.keys(channels)
  if (names.length > MAX_CHANNELS) problems.push(`channels: ${names.length} channels, at most ${MAX_CHANNELS} are allowed`)
  for (const name of names) {
    const channel = channels[name]
    if (name.length === 0 || name.length > MAX_CHANNEL_NAME_LENGTH) {
      problems.push(`channels: name ${show(name)} is not 1–${MAX_CHANNEL_NAME_LENGTH} characters`)
    } else if (typeof channel !== 'object' || channel === null || CHANNEL_METHODS.some((k) => typeof channel[k] !== 'function')) {
      problems.push(`channels.${name}: is not a ReplicatedChannel (${CHANNEL_METHODS.join(', ')})`)
    } else {
      out.set(name, channel)
    }
  }
  return out
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === undefined) return 'undefined'
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}
