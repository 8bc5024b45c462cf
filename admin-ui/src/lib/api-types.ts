// The JSON shapes of the admin REST API (node/admin/API.md, v1). The UI reads nothing else from the node.

export type MemberState = 'self' | 'connecting' | 'syncing' | 'up' | 'suspect' | 'down'

export interface LatencySummary {
  p50: number
  p99: number
}

export interface Member {
  id: string
  /** null until the answering node has learnt it (a member that never connected). */
  peerId: string | null
  state: MemberState
  /** From the member itself; when it did not answer, from cluster.yml (http and admin null for a member added at run time). */
  addresses: { http: string | null; admin: string | null; p2p: string }
  version: string | null
  startedAt: number | null
  uptimeMs: number | null
  reqPerSec: number | null
  share: number | null
  /** null for the answering node itself, and for a member never heard from. */
  lastHeardAt: number | null
  /** Delta propagation latency from this member to the answering node; null for itself and until deltas arrived. */
  lagMs: LatencySummary | null
  /** Gossip bytes of the answering node: its totals on its own entry, its traffic with this member on the others. */
  gossip: { bytesIn: number; bytesOut: number }
  /** true when the member did not answer in time: its own figures are null. */
  missing: boolean
}

export interface ClusterView {
  name: string
  self: string
  now: number
  members: Member[]
  /** The sum over the members that answered. */
  totals: { reqPerSec: number }
}

export type Resolution = 'minute' | 'hour'

export interface Outcomes {
  ok2xx: number
  redirect3xx: number
  limited429: number
  notFound404: number
  clientError4xx: number
  serverError5xx: number
  upstreamError: number
}

export interface LatencyStats {
  mean: number
  p50: number
  p90: number
  p99: number
}

export interface StatsBucket {
  start: number
  total: number
  outcomes: Outcomes
  bytesIn: number
  bytesOut: number
  latency: { total: LatencyStats | null; proxy: LatencyStats | null } | null
  rules: Record<string, { admitted: number; limited: number }>
}

export interface StatsSeries {
  node: string
  buckets: StatsBucket[]
}

export interface StatsResponse {
  resolution: Resolution
  from: number
  to: number
  nodes: string[]
  missing: string[]
  series: StatsSeries[]
}

export interface LimitedKey {
  rule: string
  key: string
  count: number
}

export interface TopLimitedResponse {
  keys: LimitedKey[]
  missing: string[]
}

export type RuleMode = 'enforce' | 'shadow'

/** A match criterion as cluster.yml spells it: one value or a list of them. */
export type OneOrMany = string | string[]

export interface RuleMatch {
  ip?: OneOrMany
  path?: OneOrMany
  method?: OneOrMany
  header?: Record<string, string>
}

/** A rule as the API accepts it (POST/PUT body) — the same schema as cluster.yml. */
export interface RuleBody {
  id: string
  description?: string
  match?: RuleMatch
  by?: string[]
  limit: number
  per: string
  mode?: RuleMode
}

/** A rule as the API returns it: the body plus who changed it last and when. */
export interface Rule extends RuleBody {
  updatedAt: number
  /** The node id that made the last change, or "cluster.yml" for a rule as the configuration file gives it. */
  updatedBy: string
}

export interface RulesResponse {
  rules: Rule[]
}

export interface RuleResponse {
  rule: Rule
}

export interface KeyUsage {
  key: string
  estimate: number
}

export interface RuleUsage {
  id: string
  limit: number
  windowMs: number
  keys: KeyUsage[]
}

export interface RulesUsageResponse {
  rules: RuleUsage[]
}

export interface EstimateResponse {
  rule: string
  key: string
  estimate: number
  limit: number
  remaining: number
  windowMs: number
}

/** The body of every error answer. */
export interface ApiErrorBody {
  error: string
  message: string
  problems?: string[]
}
