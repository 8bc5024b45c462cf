// Node ids are long strings (libp2p peer ids, ~52 chars) and every window cell holds one slot per node that has
// counted in it, so cells store slots in dense arrays indexed by a small integer per node instead of string-keyed
// maps. This registry owns that numbering (index 0 is always this node) and the liveness of peers as the gossip
// layer reports it: a peer becomes live when it is first heard and stops being live when reported down.
//
// Indices are never reused: counts of a node that left stay in the cells that hold them until those cells die.
// The registry is bounded (maxNodes) because node ids also arrive in peers' snapshots.

export const NODE_UNKNOWN = 0
export const NODE_LIVE = 1
export const NODE_DOWN = 2

export class NodeRegistry {
  readonly ids: string[] = []
  /** Per index: NODE_UNKNOWN (only seen in counts), NODE_LIVE or NODE_DOWN. Index 0 (self) stays NODE_UNKNOWN. */
  readonly state: number[] = []
  /** Per index: last time a frame from that peer was received (-Infinity when never). */
  readonly heardAt: number[] = []
  /** Indices of live peers (never 0), in the order they became live. */
  readonly live: number[] = []
  /** Node ids refused because the registry was full. */
  refused = 0
  /** Smallest heardAt among live peers; +Infinity when there are none. */
  private minHeard = Infinity
  private readonly index = new Map<string, number>()

  constructor(
    self: string,
    private readonly maxNodes: number,
  ) {
    this.indexOf(self)
  }

  get liveCount(): number {
    return this.live.length
  }

  /** The earliest time every live peer has been heard since; +Infinity when there is no live peer. */
  get allHeardSince(): number {
    return this.minHeard
  }

  /** Index of `id`, registering it if new; -1 when the registry is full. */
  indexOf(id: string): number {
    const known = this.index.get(id)
    if (known !== undefined) return known
    if (this.ids.length >= this.maxNodes) {
      this.refused++
      return -1
    }
    const idx = this.ids.length
    this.index.set(id, idx)
    this.ids.push(id)
    this.state.push(NODE_UNKNOWN)
    this.heardAt.push(-Infinity)
    return idx
  }

  /** Index of `id` without registering it; -1 when unknown. */
  find(id: string): number {
    return this.index.get(id) ?? -1
  }

  heard(idx: number, now: number): void {
    if (idx <= 0) return
    const before = this.heardAt[idx]!
    if (now > before) this.heardAt[idx] = now
    if (this.state[idx] !== NODE_LIVE) {
      this.state[idx] = NODE_LIVE
      this.live.push(idx)
      this.recomputeMinHeard()
    } else if (before === this.minHeard && now > before) {
      this.recomputeMinHeard()
    }
  }

  down(idx: number): void {
    if (idx <= 0 || this.state[idx] !== NODE_LIVE) {
      if (idx > 0) this.state[idx] = NODE_DOWN
      return
    }
    this.state[idx] = NODE_DOWN
    const at = this.live.indexOf(idx)
    this.live.splice(at, 1)
    this.recomputeMinHeard()
  }

  private recomputeMinHeard(): void {
    let min = Infinity
    for (const idx of this.live) {
      const h = this.heardAt[idx]!
      if (h < min) min = h
    }
    this.minHeard = min
  }
}
