// Budget split: how a node decides near a key's limit without asking anyone.
//
// Every node sees its own count exactly and its peers' counts about one gossip delay late. Far from the limit that
// lag is harmless, so the node admits on its local view ("free"). Near the limit every node would see the same
// remaining budget and might spend all of it, so the key turns "tight": the node computes what is really left and
// splits it among the live nodes, and admits only its own part (its allotment) until it has fresh information.
//
//   reserved  = sum over live peers j of max(claim_j, unseen_j)
//     unseen_j = rate_j * (time since j was last heard + half a gossip delay)   (what j admitted that we cannot see)
//     claim_j  = what is left of the allotment this node computed for j at its previous split (j may still spend
//                it); it is kept only for a short time (claimTtlDelays) because j re-splits as soon as it hears
//                from everyone, as this node does.
//   remaining = limit - estimate - reserved
//   tight     <=>  remaining - cost < tightDelays * gossipDelay * (sum of all live rates) + liveNodes * burstPerNode
//
// The first term of the threshold is what the cluster admits while information is in flight; the second covers a
// key with no rate history (a cold burst) and makes small limits tight from the start: a 10/minute key on 3 nodes
// is split 4/3/3 before anyone has admitted anything.
//
// When tight, the units split are `remaining` rounded to the nearest integer (unitRounding): a reservation is an
// expectation of unseen admissions, and flooring turned the 0.01 unit left by a peer's admission a second ago into
// a whole unit nobody may spend.
//
// Who gets the units. A node's demand is what it admitted plus what it refused only because its part was spent
// (split refusals, gossiped like the counts): a node that keeps refusing needs a part although its admission rate
// is 0 (weighing by admissions alone starved such a node until the busy node's rate decayed). A node is waiting when
// it has demand in the key's live cells and holds no unit (a peer holds one when its claim, reserved apart, is >= 1).
//   - With enough units, every waiting node gets one first; the rest is apportioned by largest remainder over
//     weights (admission rate + refusal rate + a floor: floorShare * (largest weight) / nodes + the key's fair rate),
//     ties broken by node id, so that with equal views every node computes the same integer allotments.
//   - With fewer units than waiting nodes, one each goes to the first waiting nodes in this order: demand rate, in
//     classes of a factor of 4 below the busiest node's (a hot node first, near-equal ones alike), or, when urgent,
//     fewest admissions in the live cells (rates differ between views, counts agree); then node id. A client that sends its requests to the nodes in turn finds the
//     unit on a node it has not visited yet this round. Never by the latest refusal: the client, refused by one
//     node, asks the next, and a unit given to the node that refused last would chase it forever. Nor by admission
//     times: each node sees its own at once and its peers' a latency later, so the views would disagree on near
//     ties (everyone taking the unit, or nobody); counts are the same in every view once the deltas have arrived,
//     which near the limit is within the latency (without the urgent flush they lag a gossip tick, and a node's own
//     count, always fresher in its own view, would put the views at odds).
//
// Near the limit the nodes flush their deltas at once (an admission that leaves a key within urgentFlushWithin of
// its limit goes out at the end of the event-loop turn, not at the next gossip tick), so while a key is that close
// (view.urgent) a peer's admissions, and the claim it announces with them (what it may still admit of its part),
// arrive within the link latency. WindowCounters then reserves exactly the announced claims (none for a peer that
// has not split the key in this window: it holds no part) and takes at most one unit per split (it may split again
// as soon as the latency has passed, so a part held for later would only be a claim the peers must wait out). Here:
//   - unseen_j = 0: what a peer admits beyond its claim comes from a split of its own within the latency, at most
//     one unit, given to the same node as here when the views agree;
//   - a node whose split left it nothing while a request is in front of it takes one unit when there are units for
//     every waiting node and for itself: the peers cannot know of its demand yet, and its admission reaches them at
//     once. This costs at most one unit per node whose demand starts within the latency.
//
// When a node re-splits is WindowCounters' business: once every live peer has been heard since its last split (or
// a gossip delay has passed), so each split sees what the others did with theirs; when urgent, also once its part
// is spent and the latency has passed.
//
// Everything here is a pure function of the view the caller fills in (local estimate, peer rates, demand and counts,
// when each peer was last heard, claims, now); WindowCounters keeps the per-key state.
//
// Known cost (measured by testing/over-admission-report.ts and testing/small-limits-report.ts): with many nodes and
// a small limit, a remaining budget smaller than the number of waiting nodes goes to a few of them, and requests
// landing elsewhere are refused until those nodes spend it; a cold 4/3/3-style split refuses a node that spends its
// part before the others spend theirs; and near the limit a client faster than the latency is refused every other
// request.

/** Tunables of the split. All defaults live in DEFAULT_SPLIT_POLICY. */
export interface SplitPolicy {
  /** Remaining budget per live node under which a key is tight even with no rate history. */
  burstPerNode: number
  /** A key is tight while what remains is less than the cluster's admissions during this many gossip delays. */
  tightDelays: number
  /** Weight floor, as a fraction of the largest live weight divided by the node count (plus the key's fair rate). */
  floorShare: number
  /** Rates are exponentially weighted with a time constant of this many gossip delays. */
  rateTimeConstantDelays: number
  /** A claim modelled for a peer at a split is believed for this many gossip delays. */
  claimTtlDelays: number
  /** When tight, the units split are floor(remaining + unitRounding): 0.5 rounds to the nearest unit. */
  unitRounding: number
}

export const DEFAULT_SPLIT_POLICY: Readonly<SplitPolicy> = Object.freeze({
  burstPerNode: 128,
  tightDelays: 2,
  floorShare: 0.1,
  rateTimeConstantDelays: 2,
  claimTtlDelays: 2,
  unitRounding: 0.5,
})

/**
 * One key as this node sees it. Index 0 of the per-node arrays is this node; 1..count-1 are its live peers (down
 * peers are left out: their counts are in `estimate`, their rates are not used). The arrays may be longer than
 * `count` (they are reused between calls); `refusals` and `demanded` entries that are missing count as 0.
 */
export interface BudgetView {
  limit: number
  /** Local sliding estimate: own count exactly, peers' counts as last merged. */
  estimate: number
  cost: number
  now: number
  windowMs: number
  gossipDelayMs: number
  /** Peers send this key's admissions and claims at once (it is within their urgent-flush distance of its limit). */
  urgent: boolean
  /**
   * Urgent, this node's first split of the key in this window, and no peer has shown demand or announced a part in
   * it: every peer may be making its first split right now with as little news as this node, so the units are split
   * equally (the remainder by node id), which every node computes alike whatever it has seen of its own demand.
   */
  cold: boolean
  count: number
  ids: string[]
  /** Admissions per millisecond, decayed to `now`. */
  rates: number[]
  /** Split refusals (refused only because the node's part was spent) per millisecond, decayed to `now`. */
  refusals: number[]
  /** Admissions plus split refusals in the key's live cells; 0 when the node has shown no demand. */
  demanded: number[]
  /** Admissions in the key's live cells (the counts: every view agrees on them once the deltas have arrived). */
  admitted: number[]
  /** When each peer was last heard ([0] unused). */
  heardAt: number[]
  /**
   * What each peer may still admit of its part, reserved for it ([0] unused): when urgent, what the peer announced;
   * otherwise the allotment this node computed for it at its previous split, less what it admitted since (0 when
   * none, or too old).
   */
  claims: number[]
}

export interface BudgetDecision {
  tight: boolean
  /** limit - estimate - reserved: what this node believes is really left (may be negative). */
  remaining: number
  /** Budget set aside for what peers may have admitted unseen or may still admit. */
  reserved: number
  /** The key is free while (limit - estimate - cost) >= freeAbove, for as long as rates and heard times hold. */
  freeAbove: number
  /**
   * When tight: each node's integer allotment, same indexing as the view. They sum to the units split
   * (max(0, floor(remaining + unitRounding))), except when an urgent node with a request gives itself its one unit.
   */
  allotments: number[]
}

export function createBudgetView(): BudgetView {
  return {
    limit: 0,
    estimate: 0,
    cost: 1,
    now: 0,
    windowMs: 1,
    gossipDelayMs: 0,
    urgent: false,
    cold: false,
    count: 0,
    ids: [],
    rates: [],
    refusals: [],
    demanded: [],
    admitted: [],
    heardAt: [],
    claims: [],
  }
}

export function createBudgetDecision(): BudgetDecision {
  return { tight: false, remaining: 0, reserved: 0, freeAbove: 0, allotments: [] }
}

/** Budget of `view`'s key that peers may have spent unseen or may still spend (sum of max(claim, unseen)). */
export function reservedForPeers(view: BudgetView): number {
  let reserved = 0
  const lag = view.gossipDelayMs / 2
  for (let k = 1; k < view.count; k++) {
    const claim = view.claims[k]!
    if (view.urgent) {
      // Admissions and claims arrive within the latency; see the file comment for what a peer may admit beyond them.
      reserved += claim
      continue
    }
    const since = view.now - view.heardAt[k]!
    const unseen = view.rates[k]! * ((since > 0 ? since : 0) + lag)
    reserved += claim > unseen ? claim : unseen
  }
  return reserved
}

/** Decides whether the key is tight and, if so, every live node's allotment. Writes into `out` and returns it. */
export function decideBudget(view: BudgetView, policy: Readonly<SplitPolicy>, out: BudgetDecision): BudgetDecision {
  const count = view.count
  if (count <= 1) {
    // Alone: the local view is the whole truth.
    out.tight = false
    out.reserved = 0
    out.remaining = view.limit - view.estimate
    out.freeAbove = 0
    return out
  }
  let totalRate = 0
  for (let k = 0; k < count; k++) totalRate += view.rates[k]!
  const reserved = reservedForPeers(view)
  const tightBelow = policy.tightDelays * view.gossipDelayMs * totalRate + count * policy.burstPerNode
  out.reserved = reserved
  out.remaining = view.limit - view.estimate - reserved
  out.freeAbove = reserved + tightBelow
  out.tight = out.remaining - view.cost < tightBelow
  if (!out.tight) return out
  const units = out.remaining > 0 ? Math.floor(out.remaining + policy.unitRounding) : 0
  apportion(view, units, policy, out.allotments)
  if (view.urgent && !view.cold && out.allotments[0] === 0 && units > 0 && units >= waitingNodes(view) + (waiting(view, 0) ? 0 : 1)) {
    out.allotments[0] = 1
  }
  return out
}

// Scratch for apportion(); grants are rare next to checks, but they run once per gossip round per tight key.
const weights: number[] = []
const keys: number[] = []
const order: number[] = []
let orderIds: string[] = []
/** Larger key first, then node id. */
function byKeyThenId(a: number, b: number): number {
  const d = keys[b]! - keys[a]!
  if (d !== 0) return d
  const ia = orderIds[a]!
  const ib = orderIds[b]!
  return ia < ib ? -1 : ia > ib ? 1 : 0
}

/** A node with demand that holds no part: a peer whose claim (reserved apart) is under one unit, or this node. */
function waiting(view: BudgetView, k: number): boolean {
  return (view.demanded[k] ?? 0) > 0 && (k === 0 || !(view.claims[k]! >= 1))
}

function waitingNodes(view: BudgetView): number {
  let n = 0
  for (let k = 0; k < view.count; k++) if (waiting(view, k)) n++
  return n
}

/**
 * Apportions the integer `budget` over the view's live nodes (see the file comment for the rules). Writes
 * allotments[0..count-1]; they sum to `budget` exactly.
 *
 * Weights are quantised to integers relative to the largest one and the quotas computed in exact integer
 * arithmetic, so every node that sees the same rates computes the same allotments whatever order it lists the
 * nodes in (floating-point sums in different orders differ in the last bit, which is enough to move a remainder).
 */
export function apportion(view: BudgetView, budget: number, policy: Readonly<SplitPolicy>, allotments: number[]): void {
  const count = view.count
  orderIds = view.ids
  if (view.cold) {
    // Equal parts; the remainder one each to the first nodes by id.
    order.length = count
    for (let k = 0; k < count; k++) order[k] = k
    order.sort((a, b) => (orderIds[a]! < orderIds[b]! ? -1 : orderIds[a]! > orderIds[b]! ? 1 : 0))
    const whole = Math.floor(budget / count)
    for (let i = 0; i < count; i++) allotments[order[i]!] = whole + (i < budget - whole * count ? 1 : 0)
    return
  }
  const demanding = waitingNodes(view)
  if (budget > 0 && budget < demanding) {
    // Fewer units than nodes waiting for one: one each to the first in demand order.
    let top = 0
    for (let k = 0; k < count; k++) {
      const d = view.rates[k]! + (view.refusals[k] ?? 0)
      if (d > top) top = d
    }
    order.length = 0
    for (let k = 0; k < count; k++) {
      allotments[k] = 0
      if (!waiting(view, k)) continue
      const d = view.rates[k]! + (view.refusals[k] ?? 0)
      // Demand within a factor of 4 of the busiest is one class (a count of at most 2^40 cannot outweigh a class).
      const tier = d > 0 ? Math.floor(Math.log2(top / d) / 2) : 64
      // Urgent: by counts alone (every view agrees on them within the latency; rates do not: a node's own rate is
      // fresh in its view and a tick old in its peers', and a restarted node knows no rate at all).
      keys[k] = view.urgent ? -(view.admitted[k] ?? 0) : -tier * 2 ** 40
      order.push(k)
    }
    order.sort(byKeyThenId)
    for (let i = 0; i < budget; i++) allotments[order[i]!] = 1
    return
  }
  // One unit to every node waiting for one, the rest by weight.
  let rest = budget
  if (budget > 0 && demanding > 0) rest -= demanding
  let maxWeight = 0
  for (let k = 0; k < count; k++) {
    const w = view.rates[k]! + (view.refusals[k] ?? 0)
    weights[k] = w
    if (w > maxWeight) maxWeight = w
  }
  const floor = (policy.floorShare * maxWeight) / count + view.limit / view.windowMs / count
  const top = maxWeight + floor
  // rest * weight must stay below 2^53: keep that many bits for the weights (at most 30).
  const bits = Math.max(1, Math.min(30, 52 - bitLength(rest) - bitLength(count)))
  const unit = 2 ** bits
  let total = 0
  for (let k = 0; k < count; k++) {
    const q = top > 0 ? Math.max(1, Math.round(((weights[k]! + floor) / top) * unit)) : 1
    weights[k] = q
    total += q
  }
  let given = 0
  for (let k = 0; k < count; k++) {
    const share = rest * weights[k]!
    const rem = share % total
    const whole = (share - rem) / total
    allotments[k] = whole + (rest < budget && waiting(view, k) ? 1 : 0)
    keys[k] = rem
    order[k] = k
    given += whole
  }
  let left = rest - given
  if (left <= 0) return
  order.length = count
  order.sort(byKeyThenId)
  for (let i = 0; left > 0; i = (i + 1) % count, left--) {
    const k = order[i]!
    allotments[k] = allotments[k]! + 1
  }
}

function bitLength(n: number): number {
  return n < 1 ? 1 : Math.floor(Math.log2(n)) + 1
}
