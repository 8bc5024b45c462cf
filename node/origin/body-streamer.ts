// Streams the deterministic byte pattern with backpressure, in the two framings a proxy must relay:
// - fixed length: `tryEnd(chunk, total)` makes uWS send Content-Length and write only what the socket
//   takes; when it reports backpressure we stop and, in onWritable, regenerate the rest from
//   getWriteOffset() (the pattern is a pure function of the offset, so nothing is kept aside);
// - chunked: each `write(chunk)` becomes one HTTP chunk; uWS buffers a write in full and returns false
//   when that built backpressure, so we wait for onWritable before the next one.
// Either way at most WRITE_BUDGET bytes are written per event-loop turn, so one fast reader of a 200 MB
// body does not starve every other connection.
import type { PendingResponse } from './pending-responses.js'
import { deterministicBytes } from './deterministic-bytes.js'

const FIXED_LENGTH_CHUNK = 64 * 1024
const WRITE_BUDGET = 4 * 1024 * 1024

/** Status and headers must already be written (corked) on `p.res`. Finishes `p` when done. */
export function streamFixedLength(p: PendingResponse, total: number): void {
  const res = p.res
  const pump = (): void => {
    let budget = WRITE_BUDGET
    for (;;) {
      const offset = res.getWriteOffset()
      const chunk = deterministicBytes(offset, Math.min(FIXED_LENGTH_CHUNK, total - offset))
      const [ok, done] = res.tryEnd(chunk, total)
      if (done) {
        p.finish()
        return
      }
      if (!ok) return // onWritable resumes from the new offset
      budget -= chunk.length
      if (budget <= 0) {
        setImmediate(() => {
          if (p.open) res.cork(pump)
        })
        return
      }
    }
  }
  res.onWritable(() => {
    if (p.open) pump()
    return true
  })
  pump()
}

/** Status and headers must already be written (corked) on `p.res`. Sends `total` bytes in `chunkSize` writes. */
export function streamChunked(p: PendingResponse, total: number, chunkSize: number): void {
  const res = p.res
  let sent = 0
  const pump = (): void => {
    let budget = WRITE_BUDGET
    while (sent < total) {
      const length = Math.min(chunkSize, total - sent)
      const ok = res.write(deterministicBytes(sent, length))
      sent += length
      if (!ok) return // the chunk is buffered in full; continue when the socket drained
      budget -= length
      if (budget <= 0 && sent < total) {
        setImmediate(() => {
          if (p.open) res.cork(pump)
        })
        return
      }
    }
    res.end()
    p.finish()
  }
  res.onWritable(() => {
    if (p.open) pump()
    return true
  })
  pump()
}
