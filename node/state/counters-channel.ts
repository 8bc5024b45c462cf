// The gossip channel of the window counters: deltas out (own-slot absolute values, also journalled to LMDB),
// deltas and snapshots in. Decoding enforces the codec's hard limits; a malformed frame throws, and the gossip
// layer closes that peer's stream without touching the counters.
import {
  decodeDelta,
  decodeState,
  encodeDelta,
  encodeState,
  type CodecLimits,
  type WindowCounters,
} from '../../crdt-counters/index.js'
import type { ReplicatedChannel } from '../../gossip/index.js'
import type { NodeStateStore } from './node-state-store.js'

export function countersChannel(counters: WindowCounters, journal: NodeStateStore, limits: CodecLimits): ReplicatedChannel {
  return {
    takeDelta() {
      const entries = counters.takeDelta()
      if (entries.length === 0) return undefined
      journal.journalOwn(entries)
      return encodeDelta(entries)
    },
    pendingSize: () => counters.pendingDeltaSize(),
    applyDelta(from, payload, now) {
      counters.mergeDelta(from, decodeDelta(payload, limits), now)
      counters.peerHeard(from, now)
    },
    snapshot: (now) => encodeState(counters.snapshot(now)),
    applySnapshot(from, payload, now) {
      counters.mergeSnapshot(decodeState(payload, limits), now)
      counters.peerHeard(from, now)
    },
  }
}
