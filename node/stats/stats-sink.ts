// The seam between the LMDB outbox and an external store of closed buckets (MongoDB in production).
import type { StatsBucket } from './stats-bucket.js'

/**
 * Contract:
 * - write() stores every bucket, keyed by (node, start) per resolution, as an upsert that replaces the stored
 *   document: writing the same bucket twice leaves one document with the same counts. It resolves only once
 *   the store acknowledged every bucket, and rejects otherwise (nothing is assumed written then; the caller
 *   retries the whole batch later).
 * - It is never called concurrently with itself, and never from record().
 * - open() is called once before the first write(); it may fail (the caller retries it before the next write).
 * - close() is called once, last; after it nothing else is called.
 */
export interface StatsSink {
  open(): Promise<void>
  write(minutes: StatsBucket[], hours: StatsBucket[]): Promise<void>
  close(): Promise<void>
}
