// GET /api/v1/cluster: every member with its state as this node's gossip sees it (state, last heard, lag, bytes) and
// the figures only the member itself knows (version, uptime, req/s), asked over the peer protocol. A member that did
// not answer keeps its gossip facts and gets null figures with `missing: true`.
import type { MemberView } from '../../gossip/index.js'
import { addressText, nowOf, type AdminNode } from './admin-node.js'
import type { ClusterQuery } from './cluster-query.js'
import type { NodeInfo } from './peer-protocol.js'
import { round3 } from './rounding.js'

export interface MemberEntry {
  id: string
  peerId: string | null
  state: MemberView['state']
  addresses: { http: string | null; admin: string | null; p2p: string }
  version: string | null
  startedAt: number | null
  uptimeMs: number | null
  reqPerSec: number | null
  share: number | null
  lastHeardAt: number | null
  lagMs: { p50: number; p99: number } | null
  gossip: { bytesIn: number; bytesOut: number }
  missing: boolean
}

export interface ClusterViewAnswer {
  name: string
  self: string
  now: number
  members: MemberEntry[]
  totals: { reqPerSec: number }
}

export async function clusterView(node: AdminNode, query: ClusterQuery): Promise<ClusterViewAnswer> {
  const members = query.members()
  const { answers } = await query.nodeInfo(members)
  const infos = new Map<string, NodeInfo>()
  for (const a of answers) infos.set(a.member.name, a.answer)
  let total = 0
  for (const info of infos.values()) total += info.reqPerSec
  const config = new Map(node.options.config.nodes.map((n) => [n.id, n]))
  const gossipTotals = node.gossip.stats()
  const entries = members.map((m): MemberEntry => {
    const info = infos.get(m.name)
    const configured = config.get(m.name)
    const self = m.state === 'self'
    return {
      id: m.name,
      peerId: m.peerId ?? info?.peerId ?? null,
      state: m.state,
      addresses: info?.addresses ?? {
        http: configured ? addressText(configured.http) : null,
        admin: configured ? addressText(configured.admin) : null,
        p2p: m.address,
      },
      version: info?.version ?? null,
      startedAt: info?.startedAt ?? null,
      uptimeMs: info?.uptimeMs ?? null,
      reqPerSec: info === undefined ? null : round3(info.reqPerSec),
      share: info === undefined ? null : total > 0 ? round3(info.reqPerSec / total) : 0,
      lastHeardAt: self ? null : m.lastHeardAt,
      lagMs: self ? null : m.lagMs,
      gossip: self ? { bytesIn: gossipTotals.bytesIn, bytesOut: gossipTotals.bytesOut } : { bytesIn: m.bytesIn, bytesOut: m.bytesOut },
      missing: info === undefined,
    }
  })
  return {
    name: node.options.config.cluster.name,
    self: node.options.node.id,
    now: nowOf(node),
    members: entries,
    totals: { reqPerSec: round3(total) },
  }
}
