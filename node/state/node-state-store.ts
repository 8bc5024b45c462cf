// The node's own durable state in LMDB (`<dataDir>/state`), beside its statistics (`<dataDir>/stats`):
// - `rules`: the replicated rule set (LWW entries, tombstones included), rewritten on every change;
// - `own-counters`: this node's own slot of every live counter cell, journalled from each gossip delta.
// Peers hold our slots too and give them back by anti-entropy; the journal makes a restart lossless even when no
// peer is reachable (a one-node cluster, or the whole cluster restarting).
import { open, type Database, type RootDatabase } from 'lmdb'
import type { DeltaEntry, LwwEntry, StateEntry } from '../../crdt-counters/index.js'

type CellKey = [key: string, windowMs: number, window: number]

export class NodeStateStore {
  private readonly root: RootDatabase
  private readonly rules: Database<LwwEntry<unknown>[], string>
  private readonly ownCounters: Database<number, CellKey>

  private constructor(root: RootDatabase) {
    this.root = root
    this.rules = root.openDB({ name: 'rules' })
    this.ownCounters = root.openDB({ name: 'own-counters' })
  }

  static open(dataDir: string): NodeStateStore {
    // noSync: a commit reaches the OS page cache (it survives the process being killed) without an fsync, which
    // would block the event loop for milliseconds on every gossip tick. An OS crash can lose the last commits; the
    // peers hold the same counter slots and rules and give them back by anti-entropy.
    return new NodeStateStore(open({ path: `${dataDir}/state`, compression: false, noSync: true }))
  }

  loadRules(): LwwEntry<unknown>[] {
    return this.rules.get('all') ?? []
  }

  saveRules(entries: LwwEntry<unknown>[]): Promise<boolean> {
    return this.rules.put('all', entries)
  }

  /**
   * Records own-slot values (absolute, so a replayed or reordered write is harmless), committed before returning, so
   * they survive the process being killed. One transaction per gossip delta, not per request.
   */
  journalOwn(entries: readonly DeltaEntry[]): void {
    this.ownCounters.transactionSync(() => {
      for (const [key, windowMs, window, value] of entries) void this.ownCounters.put([key, windowMs, window], value)
    })
  }

  /** Own cells still live at `now` (window ≥ current − 1), as state entries with the single slot `self`. */
  loadOwn(self: string, now: number): StateEntry[] {
    const out: StateEntry[] = []
    for (const { key, value } of this.ownCounters.getRange()) {
      const [name, windowMs, window] = key
      if (window >= Math.floor(now / windowMs) - 1) out.push([name, windowMs, window, [[self, value]]])
    }
    return out
  }

  /** Drops journalled cells older than the previous window. Returns how many were removed. */
  async pruneOwn(now: number): Promise<number> {
    const dead: CellKey[] = []
    for (const { key } of this.ownCounters.getRange()) {
      if (key[2] < Math.floor(now / key[1]) - 1) dead.push(key)
    }
    if (dead.length === 0) return 0
    await this.ownCounters.transaction(() => {
      for (const key of dead) void this.ownCounters.remove(key)
    })
    return dead.length
  }

  async close(): Promise<void> {
    await this.root.flushed
    await this.root.close()
  }
}
