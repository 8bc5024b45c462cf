// The gossip channel of the window counters: deltas out (own-slot absolute values, also journalled to LMDB),
// deltas and snapshots in. Decoding enforces the codec's hard limits; a malformed frame throws, and the gossip
// layer closes that peer's stream without touching the counters.
//
// Both directions may take many frames: encodeDeltaFrames / encodeStateFrames split the entries so that each frame
// decodes under the receiver's limits (the node's codecLimits, whose maxBytes is gossip.maxFrameBytes) and fits in
// a gossip frame with its envelope. Each frame is applied on its own as it arrives, so snapshot parts are kept to
// SNAPSHOT_PART_ENTRIES cells: decoding and merging one part is a stretch of the receiver's event loop during which
// its proxy waits. The sender takes the cells a page at a time (WindowCounters.snapshotPages) and encodes each page
// as the gossip layer pulls it: taking the cells of a 20 MB state in one go is ~1.1–1.4 s of CPU and encoding them
// ~0.8–0.9 s more, a stall of the sender's proxy, and a node silent for 2 × suspectAfterMs is declared down by its
// peers. Peers being heard (for the budget split) is reported by the
// gossip layer for every frame (GossipInit.onHeard), not here.
import {
  decodeDelta,
  decodeState,
  encodeDeltaFrames,
  encodeStateFrames,
  type CodecLimits,
  type StateEntry,
  type WindowCounters,
} from '../../crdt-counters/index.js'
import { MAX_ENVELOPE_OVERHEAD_BYTES, type ReplicatedChannel } from '../../gossip/index.js'
import type { NodeStateStore } from './node-state-store.js'

/**
 * Most cells in one snapshot part. Measured on a 20 MB state of 3-slot cells (node/state/test/snapshot-transfer-
 * bench.ts, shared 2-core machine): parts of ~17,800 cells (all the node's limits allow) held the receiver for up to
 * 230–330 ms each, and deltas arriving meanwhile lagged 0.7–1 s (p50); parts of 4,096 cells, up to 70–120 ms
 * (11–16 ms of CPU on average), and 70–180 ms of delta lag, for about the same total transfer time.
 */
export const SNAPSHOT_PART_ENTRIES = 4096

/** `snapshotPartEntries` overrides SNAPSHOT_PART_ENTRIES (benchmarks compare part sizes with it). */
export function countersChannel(
  counters: WindowCounters,
  journal: NodeStateStore,
  limits: CodecLimits,
  snapshotPartEntries = SNAPSHOT_PART_ENTRIES,
): ReplicatedChannel {
  // What this node writes: the receivers' limits, less the room the gossip envelope takes around each payload.
  const outbound: CodecLimits = { ...limits, maxBytes: limits.maxBytes - MAX_ENVELOPE_OVERHEAD_BYTES }
  const snapshotParts: CodecLimits = { ...outbound, maxEntries: Math.min(outbound.maxEntries, snapshotPartEntries) }
  return {
    takeDelta() {
      const entries = counters.takeDelta()
      if (entries.length === 0) return undefined
      journal.journalOwn(entries)
      return encodeDeltaFrames(entries, outbound)
    },
    pendingSize: () => counters.pendingDeltaSize(),
    applyDelta(from, payload, now) {
      counters.mergeDelta(from, decodeDelta(payload, limits), now)
    },
    snapshot: (now) => stateParts(counters.snapshotPages(now, snapshotParts.maxEntries), snapshotParts),
    applySnapshot(_from, payload, now) {
      counters.mergeSnapshot(decodeState(payload, limits), now)
    },
  }
}

/** The state frames of each page of cells, encoded as the page is taken. */
function* stateParts(pages: Iterable<StateEntry[]>, limits: CodecLimits): Generator<Uint8Array> {
  for (const page of pages) yield* encodeStateFrames(page, limits)
}
