// The admin request/response protocol between nodes, carried by gossip.request (msgpack frames on the members'
// authenticated streams). Any node answers the admin API for the whole cluster by asking every member:
//
//   admin.node-info    {}                                  → NodeInfo (version, uptime, req/s, addresses)
//   admin.stats        { from, to, resolution, cursor? }   → { buckets: [encoded bucket…], next: cursor | null }
//   admin.top-limited  { from, to, limit }                 → { keys: [{ rule, key, count, error }…] }
//
// Stats travel as stored (node/stats bucket codec: histograms as they are, not summaries), so the asking node can
// merge them exactly and summarise once. A stats answer is paged: a page holds at most PAGE_BUCKETS buckets and
// about 3/4 of a frame; `next` is where the next page starts. Both sides validate what they receive: requests here,
// answers in the parse* functions (a member whose answer fails them is reported missing).
import { z } from 'zod'
import type { Gossip } from '../../gossip/index.js'
import { formatIssues } from '../config/validation-error.js'
import { decodeBucket, encodeBucket } from '../stats/bucket-codec.js'
import {
  alignTo,
  HOUR_MS,
  MAX_TOP_KEY_CHARS,
  mergeTopLimited,
  MINUTE_MS,
  type Resolution,
  type StatsBucket,
  type TopLimitedEntry,
} from '../stats/index.js'
import { VERSION } from '../version.js'
import { addressText, nowOf, type AdminNode } from './admin-node.js'
import { PeerAnswerInvalidError, PeerRequestInvalidError } from './errors.js'

export const PEER_METHOD = {
  nodeInfo: 'admin.node-info',
  stats: 'admin.stats',
  topLimited: 'admin.top-limited',
} as const

/** Most buckets a stats query may span (a week of minutes), per series. */
export const MAX_RANGE_BUCKETS = 10_080
/** Most buckets in one stats page. */
export const PAGE_BUCKETS = 1440
/** Most entries a top-limited answer carries (the asking node keeps `limit` of the merged lists). */
export const MAX_TOP_LIMITED = 1000
/** A member's own top list is this long at least, so merging lists from several members stays close to exact. */
export const MIN_PEER_TOP_LIMITED = 100
/** Ranges longer than this are summed from hour buckets in top-limited answers (whole hours). */
export const TOP_LIMITED_MINUTES_UP_TO_MS = 6 * HOUR_MS

export interface NodeInfo {
  name: string
  peerId: string
  version: string
  startedAt: number
  uptimeMs: number
  /** Requests per second over the last few seconds. */
  reqPerSec: number
  ready: boolean
  addresses: { http: string; admin: string; p2p: string }
}

export interface StatsPageRequest {
  from: number
  to: number
  resolution: Resolution
  /** Start of the first bucket of this page (from the previous page's `next`). */
  cursor?: number
}

export interface StatsPage {
  buckets: StatsBucket[]
  next: number | null
}

export interface TopLimitedRequest {
  from: number
  to: number
  limit: number
}

export function resolutionMs(resolution: Resolution): number {
  return resolution === 'minute' ? MINUTE_MS : HOUR_MS
}

/** Number of buckets of `resolution` that overlap [from, to). */
export function bucketsSpanned(from: number, to: number, resolution: Resolution): number {
  const size = resolutionMs(resolution)
  return Math.ceil((to - alignTo(from, resolution)) / size)
}

const time = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)

const rangeSchema = z
  .object({ from: time, to: time })
  .refine((r) => r.to > r.from, { error: 'to is not after from', path: ['to'] })

const statsRequestSchema = z
  .object({ from: time, to: time, resolution: z.enum(['minute', 'hour']), cursor: time.optional() })
  .check((ctx) => {
    const r = ctx.value
    if (r.to <= r.from) ctx.issues.push({ code: 'custom', message: 'is not after from', input: r.to, path: ['to'] })
    else if (bucketsSpanned(r.from, r.to, r.resolution) > MAX_RANGE_BUCKETS) {
      ctx.issues.push({ code: 'custom', message: `spans more than ${MAX_RANGE_BUCKETS} buckets`, input: r.to, path: ['to'] })
    }
    if (r.cursor !== undefined && (r.cursor < alignTo(r.from, r.resolution) || r.cursor >= r.to)) {
      ctx.issues.push({ code: 'custom', message: 'is not inside the range', input: r.cursor, path: ['cursor'] })
    }
  })

const topLimitedRequestSchema = rangeSchema.and(z.object({ limit: z.number().int().min(1).max(MAX_TOP_LIMITED) }))

function parseRequest<T>(method: string, schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body)
  if (!parsed.success) throw new PeerRequestInvalidError(method, formatIssues(parsed.error.issues, body, 'body'))
  return parsed.data
}

/** Registers this node's answers to the admin protocol on its gossip host. */
export function registerPeerHandlers(node: AdminNode): void {
  const gossip: Gossip = node.gossip
  const pageBytes = Math.floor(node.options.config.cluster.gossip.maxFrameBytes * 0.75)
  gossip.handle(PEER_METHOD.nodeInfo, async () => localNodeInfo(node))
  gossip.handle(PEER_METHOD.stats, async (_from, body) => {
    const q = parseRequest(PEER_METHOD.stats, statsRequestSchema, body)
    return localStatsPage(node, q, pageBytes)
  })
  gossip.handle(PEER_METHOD.topLimited, async (_from, body) => {
    const q = parseRequest(PEER_METHOD.topLimited, topLimitedRequestSchema, body)
    return { keys: await localTopLimited(node, q, Math.max(q.limit, MIN_PEER_TOP_LIMITED)) }
  })
}

export function localNodeInfo(node: AdminNode): NodeInfo {
  const now = nowOf(node)
  const self = node.options.node
  return {
    name: self.id,
    peerId: node.peerId,
    version: VERSION,
    startedAt: node.startedAt,
    uptimeMs: now - node.startedAt,
    reqPerSec: node.stats.live().requestsPerSecond,
    ready: node.ready,
    addresses: { http: addressText(self.http), admin: addressText(self.admin), p2p: addressText(self.p2p) },
  }
}

/** One page of this node's buckets, encoded as stored. */
async function localStatsPage(node: AdminNode, q: StatsPageRequest, pageBytes: number): Promise<{ buckets: Uint8Array[]; next: number | null }> {
  const size = resolutionMs(q.resolution)
  const start = q.cursor ?? alignTo(q.from, q.resolution)
  const end = Math.min(q.to, start + PAGE_BUCKETS * size)
  const buckets = await node.stats.query({ from: start, to: end, resolution: q.resolution })
  const out: Uint8Array[] = []
  let bytes = 0
  for (const b of buckets) {
    const encoded = encodeBucket(b)
    // Always at least one bucket per page, so paging makes progress.
    if (out.length > 0 && bytes + encoded.length > pageBytes) return { buckets: out, next: b.start }
    out.push(encoded)
    bytes += encoded.length
  }
  return { buckets: out, next: end < q.to ? end : null }
}

/** This node's most limited keys over [from, to): summed from minutes, or from whole hours for long ranges. */
export async function localTopLimited(node: AdminNode, q: TopLimitedRequest, keep: number): Promise<TopLimitedEntry[]> {
  const resolution: Resolution = q.to - q.from > TOP_LIMITED_MINUTES_UP_TO_MS ? 'hour' : 'minute'
  const buckets = await node.stats.query({ from: q.from, to: q.to, resolution })
  return mergeTopLimited(
    buckets.map((b) => b.topLimited),
    Math.min(keep, MAX_TOP_LIMITED),
  )
}

// ---- answers, as the asking node checks them ------------------------------------------------------------------

const nodeInfoSchema = z.object({
  name: z.string().min(1).max(64),
  peerId: z.string().min(1).max(128),
  version: z.string().max(64),
  startedAt: time,
  uptimeMs: z.number().finite().min(0),
  reqPerSec: z.number().finite().min(0),
  ready: z.boolean(),
  addresses: z.object({ http: z.string().max(300), admin: z.string().max(300), p2p: z.string().max(300) }),
})

const statsPageSchema = z.object({
  buckets: z.array(z.instanceof(Uint8Array)).max(PAGE_BUCKETS),
  next: time.nullable(),
})

const topLimitedSchema = z.object({
  keys: z
    .array(
      z.object({
        rule: z.string().max(MAX_TOP_KEY_CHARS),
        key: z.string().max(MAX_TOP_KEY_CHARS),
        count: z.number().finite().min(0),
        error: z.number().finite().min(0),
      }),
    )
    .max(MAX_TOP_LIMITED),
})

function parseAnswer<T>(peer: string, method: string, schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body)
  if (!parsed.success) throw new PeerAnswerInvalidError(peer, method, formatIssues(parsed.error.issues, body, 'answer').join('; '))
  return parsed.data
}

export function parseNodeInfo(peer: string, body: unknown): NodeInfo {
  return parseAnswer(peer, PEER_METHOD.nodeInfo, nodeInfoSchema, body)
}

/** Checks and decodes a stats page; every bucket must be of the asked resolution and start inside the page's range. */
export function parseStatsPage(peer: string, q: StatsPageRequest, body: unknown): StatsPage {
  const page = parseAnswer(peer, PEER_METHOD.stats, statsPageSchema, body)
  const first = q.cursor ?? alignTo(q.from, q.resolution)
  const buckets: StatsBucket[] = []
  for (const bytes of page.buckets) {
    let b: StatsBucket
    try {
      b = decodeBucket(bytes)
    } catch (err) {
      throw new PeerAnswerInvalidError(peer, PEER_METHOD.stats, (err as Error).message)
    }
    if (b.resolution !== q.resolution || b.start < first || b.start >= q.to) {
      throw new PeerAnswerInvalidError(peer, PEER_METHOD.stats, `a ${b.resolution} bucket at ${b.start} is outside the ${q.resolution} range asked`)
    }
    buckets.push(b)
  }
  if (page.next !== null && (page.next <= first || page.next >= q.to)) {
    throw new PeerAnswerInvalidError(peer, PEER_METHOD.stats, `next ${page.next} does not move forward inside the range`)
  }
  return { buckets, next: page.next }
}

export function parseTopLimited(peer: string, body: unknown): TopLimitedEntry[] {
  return parseAnswer(peer, PEER_METHOD.topLimited, topLimitedSchema, body).keys
}
