// What the admin API uses of a running node. MeliNode satisfies it; naming the parts keeps this area from depending
// on how the node is put together (and keeps the import graph free of cycles: this is a type-only import).
import type { MeliNode } from '../node.js'

export type AdminNode = Pick<MeliNode, 'peerId' | 'startedAt' | 'options' | 'counters' | 'rules' | 'stats' | 'gossip' | 'proxy' | 'ready'>

/** "host:port", IPv6 hosts in brackets, as cluster.yml spells addresses. */
export function addressText(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}

/** The wall clock of the node (tests may inject one through MeliNodeOptions.now). */
export function nowOf(node: AdminNode): number {
  return (node.options.now ?? Date.now)()
}
