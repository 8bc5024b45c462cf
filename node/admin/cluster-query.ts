// Asking every member (this node included) the same question in parallel, each under one deadline. A member that is
// down, fails, answers something invalid or not in time is listed in `missing`, never silently dropped: a merged
// number without its missing members would look complete and be wrong.
import type { Gossip, MemberView } from '../../gossip/index.js'
import type { Logger } from '../logger.js'
import type { StatsBucket, TopLimitedEntry } from '../stats/index.js'
import { PeerDeadlineError } from './errors.js'
import {
  parseNodeInfo,
  parseStatsPage,
  parseTopLimited,
  PEER_METHOD,
  type NodeInfo,
  type StatsPageRequest,
  type TopLimitedRequest,
} from './peer-protocol.js'

/** How long a member has to answer (all its pages, for stats). */
export const PEER_TIMEOUT_MS = 1500

export interface Answered<T> {
  member: MemberView
  answer: T
}

export interface Gathered<T> {
  /** In member order. */
  answers: Array<Answered<T>>
  /** Names of the members that did not answer, in member order. */
  missing: string[]
}

export class ClusterQuery {
  private readonly gossip: Gossip
  private readonly logger: Logger
  private readonly timeoutMs: number
  private readonly configOrder: Map<string, number>

  /** `configNames`: the node ids of cluster.yml, in file order. */
  constructor(gossip: Gossip, logger: Logger, configNames: readonly string[], timeoutMs = PEER_TIMEOUT_MS) {
    this.gossip = gossip
    this.logger = logger
    this.timeoutMs = timeoutMs
    this.configOrder = new Map(configNames.map((name, i) => [name, i]))
  }

  /** Every member: self first, then the others in config order (see Gossip.members). */
  members(): MemberView[] {
    return this.gossip.members()
  }

  /** Every member in cluster.yml order (members added at run time last), so every node lists them alike. */
  membersInConfigOrder(): MemberView[] {
    const order = this.configOrder
    const rank = (m: MemberView): number => order.get(m.name) ?? order.size
    // Array.prototype.sort is stable: members added at run time keep their relative order.
    return [...this.gossip.members()].sort((a, b) => rank(a) - rank(b))
  }

  nodeInfo(members: MemberView[]): Promise<Gathered<NodeInfo>> {
    return this.gather(members, PEER_METHOD.nodeInfo, async (m, deadline) =>
      parseNodeInfo(m.name, await this.gossip.request(m.name, PEER_METHOD.nodeInfo, {}, remaining(deadline))),
    )
  }

  /** Each member's buckets overlapping [from, to), fetched page by page within the deadline. */
  stats(members: MemberView[], q: Omit<StatsPageRequest, 'cursor'>): Promise<Gathered<StatsBucket[]>> {
    return this.gather(members, PEER_METHOD.stats, async (m, deadline) => {
      const buckets: StatsBucket[] = []
      let request: StatsPageRequest = { from: q.from, to: q.to, resolution: q.resolution }
      for (;;) {
        const page = parseStatsPage(m.name, request, await this.gossip.request(m.name, PEER_METHOD.stats, request, remaining(deadline)))
        for (const b of page.buckets) buckets.push(b)
        if (page.next === null) return buckets
        request = { from: q.from, to: q.to, resolution: q.resolution, cursor: page.next }
      }
    })
  }

  topLimited(members: MemberView[], q: TopLimitedRequest): Promise<Gathered<TopLimitedEntry[]>> {
    return this.gather(members, PEER_METHOD.topLimited, async (m, deadline) =>
      parseTopLimited(m.name, await this.gossip.request(m.name, PEER_METHOD.topLimited, q, remaining(deadline))),
    )
  }

  private async gather<T>(members: MemberView[], method: string, ask: (m: MemberView, deadline: number) => Promise<T>): Promise<Gathered<T>> {
    const deadline = performance.now() + this.timeoutMs
    const results = await Promise.all(
      members.map(async (member) => {
        try {
          return { member, answer: await ask(member, deadline), ok: true as const }
        } catch (err) {
          this.logger.debug({ member: member.name, method, err: (err as Error).message }, 'member did not answer an admin query')
          return { member, ok: false as const }
        }
      }),
    )
    const answers: Array<Answered<T>> = []
    const missing: string[] = []
    for (const r of results) {
      if (r.ok) answers.push({ member: r.member, answer: r.answer })
      else missing.push(r.member.name)
    }
    return { answers, missing }
  }
}

/** Time left until `deadline` (performance.now() ms); the gossip layer needs a positive timeout. */
function remaining(deadline: number): number {
  const left = Math.floor(deadline - performance.now())
  if (left < 1) throw new PeerDeadlineError()
  return left
}
