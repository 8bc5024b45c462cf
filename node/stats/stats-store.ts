// One LMDB environment in `${dataDir}/stats` with three named databases:
//   buckets: [resolution, start] → encoded StatsBucket (bucket-codec.ts); ordered keys make range queries and
//            retention simple key ranges. LZ4-compressed by lmdb (compression: true): a minute bucket at 1k req/s
//            is ~5 KB of msgpack, which LMDB stores in two 4 KB overflow pages; compressed it fits in one
//            (bench-lmdb-size.ts: data.mdb 1.12 → 0.59 MB for 2 simulated hours).
//   outbox:  [resolution, start] → sequence number; a closed minute or a changed hour waiting for the sink.
//            The value is a version: an ack removes the entry only if no newer change re-queued it meanwhile.
//   meta:    'rolledThrough' → start of the last minute already added to its hour bucket.
// Closing a minute is one transaction (final minute bucket, hour rollup, rolledThrough, outbox), so a crash
// either rolled a minute up completely or not at all, and recovery re-runs exactly the minutes past
// rolledThrough: nothing is counted twice. Writes are lmdb-js asynchronous transactions: the commit and fsync
// run on lmdb's writer thread, never blocking the event loop.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { open, type Database, type RootDatabase } from 'lmdb'
import { decodeBucket, encodeBucket } from './bucket-codec.js'
import { addBuckets } from './merge-buckets.js'
import { alignTo, emptyBucket, type Resolution, type StatsBucket } from './stats-bucket.js'
import type { StatsLogger } from './stats-options.js'

type BucketKey = [Resolution, number]

export interface OutboxItem {
  resolution: Resolution
  start: number
  seq: number
}

export interface StatsStoreOptions {
  dataDir: string
  maxTopKeys: number
  /** Queue closed minutes and changed hours for a sink (MongoDB). */
  outbox: boolean
  logger: StatsLogger
}

export class StatsStore {
  private seq = 0

  private constructor(
    private readonly root: RootDatabase,
    private readonly buckets: Database<Buffer, BucketKey>,
    private readonly outbox: Database<number, BucketKey>,
    private readonly meta: Database<number, string>,
    private readonly opts: StatsStoreOptions,
  ) {
    for (const { value } of outbox.getRange()) if (value > this.seq) this.seq = value
  }

  static open(opts: StatsStoreOptions): StatsStore {
    const path = StatsStore.pathOf(opts.dataDir)
    mkdirSync(path, { recursive: true })
    const root = open({ path, maxDbs: 4 })
    const buckets = root.openDB<Buffer, BucketKey>({ name: 'buckets', encoding: 'binary', compression: true })
    const outbox = root.openDB<number, BucketKey>({ name: 'outbox', encoding: 'msgpack' })
    const meta = root.openDB<number, string>({ name: 'meta', encoding: 'msgpack' })
    return new StatsStore(root, buckets, outbox, meta, opts)
  }

  static pathOf(dataDir: string): string {
    return join(dataDir, 'stats')
  }

  get(resolution: Resolution, start: number): StatsBucket | undefined {
    const bytes = this.buckets.get([resolution, start])
    return bytes === undefined ? undefined : this.decode(bytes, resolution, start)
  }

  /** Buckets of one resolution with from ≤ start < to, oldest first; corrupt records are logged and skipped. */
  range(resolution: Resolution, from: number, to: number): StatsBucket[] {
    const out: StatsBucket[] = []
    for (const { key, value } of this.buckets.getRange({ start: [resolution, from], end: [resolution, to] })) {
      const b = this.decode(value, resolution, key[1])
      if (b !== undefined) out.push(b)
    }
    return out
  }

  /** Overwrites the in-progress minute with its running totals. Resolves once committed. */
  async putMinute(b: StatsBucket): Promise<void> {
    await this.buckets.put(['minute', b.start], encodeBucket(b))
  }

  /** Stores a finished minute and adds it to its hour, atomically (see the file comment). */
  async closeMinute(b: StatsBucket): Promise<void> {
    await this.root.transaction(() => this.closeInTransaction(b))
  }

  /**
   * Rolls up minutes a crash left open: stored minutes after rolledThrough and before `currentStart`.
   * Returns how many were rolled up.
   */
  async recoverUnrolled(currentStart: number): Promise<number> {
    return this.root.transaction(() => {
      const pending = this.range('minute', this.rolledThrough() + 1, currentStart)
      for (const b of pending) this.closeInTransaction(b)
      return pending.length
    })
  }

  rolledThrough(): number {
    return this.meta.get('rolledThrough') ?? -1
  }

  /** Deletes minute buckets starting before minuteCutoff and hour buckets before hourCutoff, with their outbox entries. */
  async applyRetention(minuteCutoff: number, hourCutoff: number): Promise<{ minutes: number; hours: number }> {
    return this.root.transaction(() => {
      const minutes = this.removeBefore('minute', minuteCutoff)
      const hours = this.removeBefore('hour', hourCutoff)
      return { minutes, hours }
    })
  }

  private removeBefore(resolution: Resolution, cutoff: number): number {
    let n = 0
    for (const key of this.buckets.getKeys({ start: [resolution, 0], end: [resolution, cutoff] })) {
      this.buckets.removeSync(key)
      n++
    }
    for (const key of this.outbox.getKeys({ start: [resolution, 0], end: [resolution, cutoff] })) this.outbox.removeSync(key)
    return n
  }

  outboxBatch(limit: number): OutboxItem[] {
    const out: OutboxItem[] = []
    for (const { key, value } of this.outbox.getRange({ limit })) out.push({ resolution: key[0], start: key[1], seq: value })
    return out
  }

  outboxSize(): number {
    return this.outbox.getCount()
  }

  /** Removes delivered entries, except those re-queued (a newer seq) since they were read. */
  async ackOutbox(items: readonly OutboxItem[]): Promise<void> {
    if (items.length === 0) return
    await this.root.transaction(() => {
      for (const item of items) {
        const key: BucketKey = [item.resolution, item.start]
        if (this.outbox.get(key) === item.seq) this.outbox.removeSync(key)
      }
    })
  }

  /** Drops an outbox entry whose bucket no longer exists (past retention). */
  async dropOutbox(item: OutboxItem): Promise<void> {
    await this.ackOutbox([item])
  }

  /** Resolves when every write issued so far is committed. */
  async committed(): Promise<void> {
    await this.root.committed
  }

  async close(): Promise<void> {
    await this.root.committed
    await this.root.flushed
    await this.root.close()
  }

  private closeInTransaction(b: StatsBucket): void {
    this.buckets.putSync(['minute', b.start], encodeBucket(b))
    const hourStart = alignTo(b.start, 'hour')
    const hour = this.get('hour', hourStart) ?? emptyBucket(b.node, hourStart, 'hour')
    this.buckets.putSync(['hour', hourStart], encodeBucket(addBuckets(hour, b, this.opts.maxTopKeys)))
    if (b.start > this.rolledThrough()) this.meta.putSync('rolledThrough', b.start)
    if (this.opts.outbox) {
      this.outbox.putSync(['minute', b.start], ++this.seq)
      this.outbox.putSync(['hour', hourStart], ++this.seq)
    }
  }

  private decode(bytes: Buffer, resolution: Resolution, start: number): StatsBucket | undefined {
    try {
      return decodeBucket(bytes)
    } catch (err) {
      this.opts.logger.warn({ err, resolution, start }, 'skipping a corrupt stats bucket')
      return undefined
    }
  }
}
