// The Traffic view's range selection and the /api/v1/stats query it becomes. Ranges end at the end of the current
// bucket, so the newest (still filling) bucket is on the chart and every bucket start is aligned to the resolution.

import type { Resolution } from './api-types.js'

export type RangeId = 'hour' | 'day' | 'week'

export interface RangeSpec {
  readonly id: RangeId
  readonly label: string
  readonly spanMs: number
  /** Resolutions that make sense for this span; the first is the default. */
  readonly resolutions: readonly Resolution[]
}

export const RESOLUTION_MS: Readonly<Record<Resolution, number>> = Object.freeze({ minute: 60_000, hour: 3_600_000 })

export const RANGES: readonly RangeSpec[] = Object.freeze([
  { id: 'hour', label: 'Last hour', spanMs: 3_600_000, resolutions: ['minute'] },
  { id: 'day', label: 'Last day', spanMs: 86_400_000, resolutions: ['minute', 'hour'] },
  { id: 'week', label: 'Last week', spanMs: 7 * 86_400_000, resolutions: ['hour'] },
])

/** The API answers at most this many buckets per series. */
export const MAX_BUCKETS = 10_080

/** `merged` sums every node that answered; any other value is one node's id. */
export const MERGED = 'merged'

export interface TrafficSelection {
  range: RangeId
  resolution: Resolution
  node: string
}

export interface StatsQuery {
  from: number
  to: number
  resolution: Resolution
  node: string
}

export const DEFAULT_SELECTION: Readonly<TrafficSelection> = Object.freeze({ range: 'hour', resolution: 'minute', node: MERGED })

export function rangeSpec(id: RangeId): RangeSpec {
  const spec = RANGES.find((r) => r.id === id)
  if (spec === undefined) throw new RangeError(`unknown range ${JSON.stringify(id)}`)
  return spec
}

/**
 * The selection made consistent: a resolution the range does not offer becomes the range's default, and a node that
 * is not among `knownNodes` (it left the cluster) becomes `merged`.
 */
export function normalizeSelection(selection: TrafficSelection, knownNodes: readonly string[]): TrafficSelection {
  const spec = rangeSpec(selection.range)
  const resolution = spec.resolutions.includes(selection.resolution) ? selection.resolution : spec.resolutions[0]!
  const node = selection.node === MERGED || knownNodes.includes(selection.node) ? selection.node : MERGED
  return { range: spec.id, resolution, node }
}

/** The stats query for `selection` at time `now` (ms): `to` is the end of the current bucket, `from` one span before. */
export function statsQuery(selection: TrafficSelection, now: number): StatsQuery {
  const spec = rangeSpec(selection.range)
  const step = RESOLUTION_MS[selection.resolution]
  if (!spec.resolutions.includes(selection.resolution)) {
    throw new RangeError(`${spec.label} is not offered at ${selection.resolution} resolution`)
  }
  const to = Math.floor(now / step) * step + step
  return { from: to - spec.spanMs, to, resolution: selection.resolution, node: selection.node }
}

/** Query string parameters of GET /api/v1/stats, times in epoch milliseconds. */
export function statsSearchParams(query: StatsQuery): URLSearchParams {
  return new URLSearchParams({
    from: String(query.from),
    to: String(query.to),
    resolution: query.resolution,
    node: query.node,
  })
}

/** Every bucket start in [from, to), oldest first: the x axis of the charts, gaps included. */
export function bucketStarts(query: Pick<StatsQuery, 'from' | 'to' | 'resolution'>): number[] {
  const step = RESOLUTION_MS[query.resolution]
  const first = Math.ceil(query.from / step) * step
  const count = Math.max(0, Math.ceil((query.to - first) / step))
  if (count > MAX_BUCKETS) throw new RangeError(`${count} buckets is more than the API's ${MAX_BUCKETS}`)
  const starts = new Array<number>(count)
  for (let i = 0; i < count; i++) starts[i] = first + i * step
  return starts
}
