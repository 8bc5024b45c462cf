// The two-window sliding estimate (the approximation Cloudflare and HAProxy use). Windows are fixed on wall-clock
// time: window w covers [w * windowMs, (w + 1) * windowMs). At time t in window w the estimate is
//   count(w) + count(w - 1) * (1 - (t - start(w)) / windowMs)
// i.e. the previous window's count is assumed spread evenly, and the part of it that still overlaps the last
// windowMs is added to the current count. Cells older than w - 1 no longer contribute and are dropped.

/** Index of the window that contains `now`. */
export function windowIndex(now: number, windowMs: number): number {
  return Math.floor(now / windowMs)
}

/**
 * Sliding estimate at `now`, given the counts of window `window` (`current`) and of `window - 1` (`previous`).
 * `now` is expected inside `window`; when it is later the weights follow from the real distance (a cell two windows
 * back contributes nothing), and when it is earlier the current cell counts in full.
 */
export function slidingEstimate(current: number, previous: number, window: number, windowMs: number, now: number): number {
  const start = window * windowMs
  if (now < start) return current + previous
  const elapsed = now - start
  if (elapsed >= 2 * windowMs) return 0
  if (elapsed >= windowMs) return current * (1 - (elapsed - windowMs) / windowMs)
  return current + previous * (1 - elapsed / windowMs)
}

/**
 * Milliseconds from `now` until the sliding estimate, with no new traffic, lets a request of `cost` through under
 * `limit` (0 when it already does). `current`/`previous` are the counts of window(now) and window(now) - 1. When
 * `cost` exceeds `limit` nothing ever gets through; the answer is then one full window (the longest any
 * rejection based on this window can last), so a Retry-After stays finite.
 */
export function retryAfterMs(
  current: number,
  previous: number,
  now: number,
  windowMs: number,
  limit: number,
  cost: number,
): number {
  if (cost > limit) return windowMs
  const window = Math.floor(now / windowMs)
  const start = window * windowMs
  const room = limit - cost
  let at: number
  if (current <= room) {
    // Still in this window: previous * (1 - x) <= room - current  =>  x >= 1 - (room - current) / previous.
    if (previous <= 0 || current + previous * (1 - (now - start) / windowMs) <= room) return 0
    at = start + windowMs * (1 - (room - current) / previous)
  } else {
    // Next window: current becomes the previous count; current * (1 - x) <= room.
    at = start + windowMs + windowMs * (1 - room / current)
  }
  const wait = Math.ceil(at - now)
  return wait > 0 ? wait : 0
}
