// The hourly document of the original system (its log daemon's fields), computed from one of our buckets.
//
// Mapping, faithful to the original's classification of Envoy access-log status codes:
//   okQty        = 2xx                                   (ok2xx)
//   ratelimitQty = 429 from our limiter                  (limited429)
//   notfoundQty  = every other 4xx                       (notFound404 + clientError4xx, upstream 429 included)
//   errorQty     = everything else                       (redirect3xx + serverError5xx + upstreamError)
//   durationAvg  = mean total request time, in ms        (Envoy's %DURATION% was in ms)
//   latencyAvg   = mean proxy-only time (total − upstream), in ms, as the original's duration − upstream time
// date and hour are the bucket start in UTC (the original used the container's time zone, UTC in its images).
import { mean } from './histogram.js'
import type { StatsBucket } from './stats-bucket.js'

export interface OriginalHourly {
  datetime: Date
  date: string
  hour: number
  totalQty: number
  okQty: number
  ratelimitQty: number
  notfoundQty: number
  errorQty: number
  durationAvg: number
  latencyAvg: number
}

export function toOriginalHourly(b: StatsBucket): OriginalHourly {
  const datetime = new Date(b.start)
  const o = b.outcomes
  return {
    datetime,
    date: datetime.toISOString().slice(0, 10),
    hour: datetime.getUTCHours(),
    totalQty: b.total,
    okQty: o.ok2xx,
    ratelimitQty: o.limited429,
    notfoundQty: o.notFound404 + o.clientError4xx,
    errorQty: o.redirect3xx + o.serverError5xx + o.upstreamError,
    durationAvg: mean(b.latency.total) / 1000,
    latencyAvg: mean(b.latency.proxy) / 1000,
  }
}
