// Member addresses: cluster.yml's "host:port" ↔ libp2p multiaddrs. Host names are resolved here (node:dns, the
// OS resolver) rather than left to libp2p, so dialing, listening and the connection manager's allow-list all
// see the same IP addresses.

import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'

export interface HostPort { host: string; port: number }

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/

/** Parses "host:port" ("[v6]:port" for IPv6). Returns undefined when malformed or the port is not 1–65535. */
export function parseHostPort(text: string): HostPort | undefined {
  const match = HOST_PORT.exec(text)
  if (match === null) return undefined
  const port = Number(match[3])
  const host = match[1] ?? (match[2] as string)
  if (port < 1 || port > 65535) return undefined
  if (match[1] !== undefined && isIP(match[1]) !== 6) return undefined
  return { host, port }
}

/** The IP address of host (itself when already an IP literal). */
export async function resolveHost(host: string): Promise<string> {
  if (isIP(host) !== 0) return host
  const { address } = await lookup(host)
  return address
}

export function tcpMultiaddr(ip: string, port: number, peerId?: string | null): Multiaddr {
  const family = isIP(ip) === 6 ? 'ip6' : 'ip4'
  const suffix = peerId === undefined || peerId === null ? '' : `/p2p/${peerId}`
  return multiaddr(`/${family}/${ip}/tcp/${port}${suffix}`)
}

/** The connection manager allow-list entry (a single-address CIDR) for ip. */
export function allowListEntry(ip: string): string {
  return isIP(ip) === 6 ? `/ip6/${ip}/ipcidr/128` : `/ip4/${ip}/ipcidr/32`
}
