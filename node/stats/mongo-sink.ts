// The MongoDB sink (official driver): idempotent upserts of closed buckets, and the cluster-wide history query.
// Short driver timeouts make an unreachable server fail a write within seconds; the outbox drainer then backs
// off and retries, and nothing here is ever on the request path.
import { MongoClient, type AnyBulkWriteOperation, type Collection } from 'mongodb'
import { bucketToMongoDocument, clusterQueryPipeline, groupToBucket, type MongoBucketDocument } from './mongo-documents.js'
import type { StatsBucket, StatsQuery } from './stats-bucket.js'
import type { StatsSink } from './stats-sink.js'

export interface MongoStatsSinkOptions {
  uri: string
  database: string
  collectionPrefix: string
  nodeName: string
  maxTopKeys: number
}

const QUERY_MAX_TIME_MS = 10_000

export class MongoStatsSink implements StatsSink {
  private readonly client: MongoClient
  private readonly minutes: Collection<MongoBucketDocument>
  private readonly hourly: Collection<MongoBucketDocument>
  private indexed = false

  constructor(private readonly opts: MongoStatsSinkOptions) {
    this.client = new MongoClient(opts.uri, {
      serverSelectionTimeoutMS: 5000,
      connectTimeoutMS: 5000,
      socketTimeoutMS: 10_000,
      maxPoolSize: 4,
      appName: `meliproxy-stats-${opts.nodeName}`,
    })
    const db = this.client.db(opts.database)
    this.minutes = db.collection<MongoBucketDocument>(`${opts.collectionPrefix}minutes`)
    this.hourly = db.collection<MongoBucketDocument>(`${opts.collectionPrefix}hourly`)
  }

  /** Creates the unique { node, start } indexes (the key that makes retried upserts idempotent). */
  async open(): Promise<void> {
    if (this.indexed) return
    await this.minutes.createIndex({ node: 1, start: 1 }, { unique: true, name: 'node_start_unique' })
    await this.hourly.createIndex({ node: 1, start: 1 }, { unique: true, name: 'node_start_unique' })
    await this.hourly.createIndex({ start: 1 }, { name: 'start' })
    await this.minutes.createIndex({ start: 1 }, { name: 'start' })
    this.indexed = true
  }

  async write(minutes: StatsBucket[], hours: StatsBucket[]): Promise<void> {
    if (minutes.length > 0) await this.minutes.bulkWrite(this.upserts(minutes), { ordered: false })
    if (hours.length > 0) await this.hourly.bulkWrite(this.upserts(hours), { ordered: false })
  }

  /** Buckets of every node summed per start, oldest first (buckets overlapping [from, to)). */
  async queryCluster(q: StatsQuery): Promise<StatsBucket[]> {
    const collection = q.resolution === 'minute' ? this.minutes : this.hourly
    const groups = await collection.aggregate(clusterQueryPipeline(q), { maxTimeMS: QUERY_MAX_TIME_MS }).toArray()
    return groups.map((g) => groupToBucket(g, q.resolution, this.opts.maxTopKeys))
  }

  async close(): Promise<void> {
    await this.client.close()
  }

  private upserts(buckets: StatsBucket[]): AnyBulkWriteOperation<MongoBucketDocument>[] {
    return buckets.map((b) => {
      const doc = bucketToMongoDocument(b, this.opts.nodeName)
      return { replaceOne: { filter: { node: doc.node, start: doc.start }, replacement: doc, upsert: true } }
    })
  }
}
