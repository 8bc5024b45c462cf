// The schema of cluster.yml. Every object is strict (an unknown field is an error that names it), every number has
// bounds, and every default lives here, in one place (cluster.example.yml documents each one).
import { isIP } from 'node:net'
import { z } from 'zod'
import { rulesSchema } from '../rules/schema.js'
import { parseDuration } from './duration.js'
import { strictObject } from './validation-error.js'

const KiB = 1024
const MiB = 1024 * KiB

export const DEFAULTS = {
  gossip: { intervalMs: 20, suspectAfterMs: 1000, syncTimeoutMs: 3000, maxFrameBytes: 4 * MiB, batchSize: 2000 },
  upstream: {
    connections: 64,
    timeoutMs: 10_000,
    connectTimeoutMs: 3000,
    bodyTimeoutMs: 30_000,
    keepAliveTimeoutMs: 4000,
    client: 'fast',
    pipelining: 4,
    fastConnections: 8,
  },
  proxy: {
    maxHeaderBytes: 16 * KiB,
    maxBodyBytes: 16 * MiB,
    maxInFlight: 10_000,
    trustRequestId: true,
  },
  stats: { enabled: true, retention: '7d', minuteRetention: '48h', flushIntervalMs: 1000, maxTopKeys: 100 },
  admin: { openReads: false },
} as const

const int = (min: number, max: number) =>
  z
    .number({ error: `is not a number between ${min} and ${max}` })
    .int({ error: `is not an integer between ${min} and ${max}` })
    .min(min, { error: `is not an integer between ${min} and ${max}` })
    .max(max, { error: `is not an integer between ${min} and ${max}` })

const duration = (min: number, max: number) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v)
    if (ms === undefined || ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `is not a duration between ${min}ms and ${max}ms (e.g. 500ms, 10s, 5m, 48h, 7d)` })
      return z.NEVER
    }
    return ms
  })

/** "host:port" → { host, port }; the host is an IP literal or a name, IPv6 in brackets. */
export interface HostPort { host: string; port: number }

const hostPort = z.string({ error: 'is not a "host:port" address' }).transform((text, ctx): HostPort => {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text)
  const port = m ? Number(m[3]) : NaN
  const host = m ? (m[1] ?? m[2]!) : ''
  if (!m || port < 1 || port > 65535 || (m[1] !== undefined && isIP(m[1]) !== 6)) {
    ctx.addIssue({ code: 'custom', message: 'is not a "host:port" address with a port from 1 to 65535 (e.g. 127.0.0.1:8080)' })
    return z.NEVER
  }
  return { host, port }
})

const cidr = z.string().refine(isCidrOrAddress, { error: 'is not an IP address or CIDR (e.g. 10.0.0.0/8, ::1)' })

export function isCidrOrAddress(text: string): boolean {
  const [addr, bits, extra] = text.split('/')
  if (extra !== undefined || addr === undefined) return false
  const family = isIP(addr)
  if (family === 0) return false
  if (bits === undefined) return true
  if (!/^\d{1,3}$/.test(bits)) return false
  return Number(bits) <= (family === 4 ? 32 : 128)
}

const nodeId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, {
  error: 'is not a node id (1–32 characters: letters, digits, ".", "_", "-"; starting with a letter or digit)',
})

const nodeSchema = strictObject({
  id: nodeId,
  http: hostPort,
  admin: hostPort,
  p2p: hostPort,
  dataDir: z.string().min(1, { error: 'is not a directory path' }),
  peerId: z
    .string()
    .regex(/^[1-9A-HJ-NP-Za-km-z]{46,60}$/, { error: 'is not a libp2p peer id (base58, see `meliproxy keygen`)' })
    .optional(),
})

const upstreamSchema = strictObject({
  url: z.string().refine(isUpstreamUrl, { error: 'is not an http:// or https:// origin URL without path, query or credentials' }),
  connections: int(1, 4096).default(DEFAULTS.upstream.connections),
  timeoutMs: int(1, 600_000).default(DEFAULTS.upstream.timeoutMs),
  connectTimeoutMs: int(1, 600_000).default(DEFAULTS.upstream.connectTimeoutMs),
  bodyTimeoutMs: int(1, 3_600_000).default(DEFAULTS.upstream.bodyTimeoutMs),
  keepAliveTimeoutMs: int(1, 600_000).default(DEFAULTS.upstream.keepAliveTimeoutMs),
  // GET/HEAD without a body: the pipelined client (node/proxy/fast-upstream.ts) or undici; every other request: undici.
  client: z.enum(['fast', 'undici'], { error: 'is not "fast" or "undici"' }).default(DEFAULTS.upstream.client),
  pipelining: int(1, 16).default(DEFAULTS.upstream.pipelining),
  fastConnections: int(1, 1024).default(DEFAULTS.upstream.fastConnections),
})

function isUpstreamUrl(text: string): boolean {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return false
  }
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    (url.pathname === '/' || url.pathname === '') &&
    url.search === '' &&
    url.hash === '' &&
    url.username === '' &&
    url.password === ''
  )
}

const gossipSchema = strictObject({
  intervalMs: int(1, 10_000).default(DEFAULTS.gossip.intervalMs),
  suspectAfterMs: int(100, 600_000).default(DEFAULTS.gossip.suspectAfterMs),
  syncTimeoutMs: int(0, 600_000).default(DEFAULTS.gossip.syncTimeoutMs),
  maxFrameBytes: int(1024, 64 * MiB).default(DEFAULTS.gossip.maxFrameBytes),
  batchSize: int(1, 1_000_000).default(DEFAULTS.gossip.batchSize),
})

const clusterSchema = strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'is not a cluster name (1–64 letters, digits, ".", "_", "-")' }),
  secret: z.string().min(16, { error: 'is too short for a cluster secret (at least 16 characters)' }).optional(),
  gossip: gossipSchema.prefault({}),
  partitionPolicy: z.enum(['visible', 'share'], { error: 'is not "visible" or "share"' }).default('visible'),
})

const proxySchema = strictObject({
  maxHeaderBytes: int(1024, 1 * MiB).default(DEFAULTS.proxy.maxHeaderBytes),
  maxBodyBytes: int(0, 1024 * MiB).default(DEFAULTS.proxy.maxBodyBytes),
  maxInFlight: int(1, 1_000_000).default(DEFAULTS.proxy.maxInFlight),
  trustRequestId: z.boolean({ error: 'is not true or false' }).default(DEFAULTS.proxy.trustRequestId),
})

const mongoSchema = strictObject({
  uri: z.string().regex(/^mongodb(\+srv)?:\/\/.+/, { error: 'is not a mongodb:// or mongodb+srv:// URI' }),
  database: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, { error: 'is not a database name' }).default('meliproxy'),
})

const statsSchema = strictObject({
  enabled: z.boolean({ error: 'is not true or false' }).default(DEFAULTS.stats.enabled),
  retention: duration(3_600_000, 3650 * 86_400_000).prefault(DEFAULTS.stats.retention),
  minuteRetention: duration(600_000, 30 * 86_400_000).prefault(DEFAULTS.stats.minuteRetention),
  flushIntervalMs: int(50, 60_000).default(DEFAULTS.stats.flushIntervalMs),
  maxTopKeys: int(1, 10_000).default(DEFAULTS.stats.maxTopKeys),
  mongo: mongoSchema.optional(),
})

const adminSchema = strictObject({
  token: z.string().min(16, { error: 'is too short for an admin token (at least 16 characters)' }).optional(),
  openReads: z.boolean({ error: 'is not true or false' }).default(DEFAULTS.admin.openReads),
  uiOrigin: z.string().refine(isOrigin, { error: 'is not an origin such as http://127.0.0.1:5173' }).optional(),
})

function isOrigin(text: string): boolean {
  try {
    const url = new URL(text)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text
  } catch {
    return false
  }
}

export const configSchema = strictObject({
    cluster: clusterSchema,
    upstream: upstreamSchema,
    proxy: proxySchema.prefault({}),
    trustedProxies: z.array(cidr).max(1000).default([]),
    nodes: z.array(nodeSchema).min(1, { error: 'must list at least one node' }).max(1000),
    rules: rulesSchema.default([]),
    stats: statsSchema.prefault({}),
    admin: adminSchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    const ids = new Map<string, number>()
    const addresses = new Map<string, string>()
    config.nodes.forEach((node, i) => {
      const first = ids.get(node.id)
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['nodes', i, 'id'], message: `is a duplicate node id (also nodes[${first}].id)` })
      } else ids.set(node.id, i)
      for (const field of ['http', 'admin', 'p2p'] as const) {
        const key = `${node[field].host}:${node[field].port}`
        const taken = addresses.get(key)
        if (taken !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['nodes', i, field], message: `is already used by ${taken}` })
        } else addresses.set(key, `nodes[${i}].${field}`)
      }
    })
  })

export type ClusterConfig = z.output<typeof configSchema>
export type NodeConfig = ClusterConfig['nodes'][number]
