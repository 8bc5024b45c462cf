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
// When tight, floor(remaining) is apportioned by largest remainder over weights (rate_k + floor), ties broken by
// node id, so that with equal views every node computes the same integer allotments and they sum exactly to what
// remains. The weight floor is floorShare * (largest rate) / nodes plus the key's fair rate (limit / window /
// nodes): a node that has admitted nothing lately still gets a part, and once the others go quiet the parts even
// out, so a node whose demand starts late is not starved. Rates are admissions, never demand: admissions are what
// every node can see of every other, so all views weigh the nodes alike.
//
// When a node re-splits is WindowCounters' business: once every live peer has been heard since its last split (or
// a gossip delay has passed), so each split sees what the others did with theirs.
//
// Everything here is a pure function of the view the caller fills in (local estimate, peer rates, when each peer
// was last heard, claims, now); WindowCounters keeps the per-key state (rates, claims, the current allotment).
//
// Known cost (measured by testing/over-admission-report.ts): with many nodes and a small limit, a remaining budget
// smaller than the node count goes to a few nodes, and requests landing elsewhere are refused until the next
// split; and a cold 4/3/3-style split refuses a node that spends its part before the others spend theirs.

/** Tunables of the split. All defaults live in DEFAULT_SPLIT_POLICY. */
export interface SplitPolicy {
  /** Remaining budget per live node under which a key is tight even with no rate history. */
  burstPerNode: number
  /** A key is tight while what remains is less than the cluster's admissions during this many gossip delays. */
  tightDelays: number
  /** Weight floor, as a fraction of the largest live rate divided by the node count (plus the key's fair rate). */
  floorShare: number
  /** Rates are exponentially weighted with a time constant of this many gossip delays. */
  rateTimeConstantDelays: number
  /** A claim modelled for a peer at a split is believed for this many gossip delays. */
  claimTtlDelays: number
}

export const DEFAULT_SPLIT_POLICY: Readonly<SplitPolicy> = Object.freeze({
  burstPerNode: 128,
  tightDelays: 2,
  floorShare: 0.1,
  rateTimeConstantDelays: 2,
  claimTtlDelays: 2,
})

/**
 * One key as this node sees it. Index 0 of the per-node arrays is this node; 1..count-1 are its live peers (down
 * peers are left out: their counts are in `estimate`, their rates are not used). The arrays may be longer than
 * `count` (they are reused between calls).
 */
export interface BudgetView {
  limit: number
  /** Local sliding estimate: own count exactly, peers' counts as last merged. */
  estimate: number
  cost: number
  now: number
  windowMs: number
  gossipDelayMs: number
  count: number
  ids: string[]
  /** Admissions per millisecond, decayed to `now`. */
  rates: number[]
  /** When each peer was last heard ([0] unused). */
  heardAt: number[]
  /** Outstanding allotment modelled for each peer at this node's previous split, 0 when none ([0] unused). */
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
  /** When tight: each node's integer allotment, same indexing as the view; they sum to max(0, floor(remaining)). */
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
    count: 0,
    ids: [],
    rates: [],
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
    const since = view.now - view.heardAt[k]!
    const unseen = view.rates[k]! * ((since > 0 ? since : 0) + lag)
    const claim = view.claims[k]!
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
  // The epsilon keeps float dust in the reservation (a rate of 1e-17/ms) from costing a whole unit.
  if (out.tight) apportion(view, out.remaining > 0 ? Math.floor(out.remaining + 1e-6) : 0, policy, out.allotments)
  return out
}

// Scratch for apportion(); grants are rare next to checks, but they run once per gossip round per tight key.
const remainders: number[] = []
const order: number[] = []
let orderIds: string[] = []
function byRemainder(a: number, b: number): number {
  const d = remainders[b]! - remainders[a]!
  if (d !== 0) return d
  const ia = orderIds[a]!
  const ib = orderIds[b]!
  return ia < ib ? -1 : ia > ib ? 1 : 0
}

/**
 * Largest-remainder apportionment of the integer `budget` over the view's live nodes, weighted by rate plus a floor.
 * Writes allotments[0..count-1]; they sum to `budget` exactly.
 *
 * Weights are quantised to integers relative to the largest one and the quotas computed in exact integer
 * arithmetic, so every node that sees the same rates computes the same allotments whatever order it lists the
 * nodes in (floating-point sums in different orders differ in the last bit, which is enough to move a remainder).
 */
export function apportion(view: BudgetView, budget: number, policy: Readonly<SplitPolicy>, allotments: number[]): void {
  const count = view.count
  let maxRate = 0
  for (let k = 0; k < count; k++) if (view.rates[k]! > maxRate) maxRate = view.rates[k]!
  const floor = (policy.floorShare * maxRate) / count + view.limit / view.windowMs / count
  const maxWeight = maxRate + floor
  // budget * weight must stay below 2^53: keep that many bits for the weights (at most 30).
  const bits = Math.max(1, Math.min(30, 52 - bitLength(budget) - bitLength(count)))
  const unit = 2 ** bits
  let total = 0
  for (let k = 0; k < count; k++) {
    const q = maxWeight > 0 ? Math.max(1, Math.round(((view.rates[k]! + floor) / maxWeight) * unit)) : 1
    remainders[k] = q
    total += q
  }
  let given = 0
  for (let k = 0; k < count; k++) {
    const share = budget * remainders[k]!
    const rem = share % total
    const whole = (share - rem) / total
    allotments[k] = whole
    remainders[k] = rem
    order[k] = k
    given += whole
  }
  let left = budget - given
  if (left <= 0) return
  order.length = count
  orderIds = view.ids
  order.sort(byRemainder)
  for (let i = 0; left > 0; i = (i + 1) % count, left--) {
    const k = order[i]!
    allotments[k] = allotments[k]! + 1
  }
}

function bitLength(n: number): number {
  return n < 1 ? 1 : Math.floor(Math.log2(n)) + 1
}
