// One cell of the scale simulation: N nodes running the real crdt-counters code (WindowCounters, the codec, the
// budget split) on crdt-counters/testing's seeded simulated network, under a fixed cluster-wide demand:
//   - one hot key (a rule everyone hits, like `categories`) taking `hotShare` of the demand, limited to half of
//     what it is asked for, so every window is decided at its limit;
//   - the rest spread over `backgroundKeys` keys (like `per-ip` for as many clients) that never reach their limit:
//     they are what the gossip carries.
// Load is uniform over the nodes, or skewed (node 0 takes 80%). The cell reports the hot key's worst window
// (admitted vs limit, and vs what a single exact limiter seeing every request would admit) and the encoded gossip
// bytes each node sends per second. Pure computation: it runs inline or in a worker thread (scale-worker.ts).
import { SimulatedNetwork, skewedLoad, uniformLoad, type RateTraffic } from '../../crdt-counters/testing/simulated-network.js'

export interface ScaleCellParams {
  nodes: number
  load: 'uniform' | 'skewed'
  seed: number
  /** Requests per second over the whole cluster. */
  demandRps: number
  hotShare: number
  backgroundKeys: number
  windowMs: number
  windows: number
  gossipIntervalMs: number
  latencyMs: number
  jitterMs: number
  /** What the node gives WindowCounters (node.ts: twice the gossip interval). */
  gossipDelayMs: number
}

export interface ScaleCellResult {
  params: ScaleCellParams
  hotLimit: number
  /** Per window of the hot key. */
  hotWindows: Array<{ window: number; demand: number; admitted: number; reference: number }>
  /** max over windows of admitted − limit (≥ 0). */
  overAdmission: number
  /** max over windows of reference − admitted (≥ 0): what a single exact limiter would have admitted more. */
  underAdmission: number
  falseRejections: number
  gossipBytesPerNodePerSec: number
  framesPerNodePerSec: number
  wallMs: number
}

export const HOT_KEY = 'hot'

export function runScaleCell(p: ScaleCellParams): ScaleCellResult {
  const started = performance.now()
  const durationMs = p.windows * p.windowMs
  const hotRps = p.demandRps * p.hotShare
  const hotLimit = Math.max(1, Math.round((hotRps * p.windowMs) / 1000 / 2))
  const keys = Array.from({ length: p.backgroundKeys }, (_, i) => `per-ip|10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)
  const spread = (rps: number, key?: string): RateTraffic[] =>
    p.load === 'uniform' ? uniformLoad(p.nodes, rps, 0, durationMs, key) : skewedLoad(p.nodes, rps, 0, durationMs, 0.8, key)
  const background = spread(p.demandRps - hotRps).map((t) => ({ ...t, key: undefined, keys }))
  const sim = new SimulatedNetwork({
    seed: p.seed,
    nodes: p.nodes,
    rules: [{ key: HOT_KEY, limit: hotLimit, windowMs: p.windowMs }, ...keys.map((key) => ({ key, limit: Number.MAX_SAFE_INTEGER, windowMs: p.windowMs }))],
    traffic: [...spread(hotRps, HOT_KEY), ...background],
    durationMs,
    gossipIntervalMs: p.gossipIntervalMs,
    latencyMs: p.latencyMs,
    jitterMs: p.jitterMs,
    gossipDelayMs: p.gossipDelayMs,
  })
  const report = sim.run()
  const hotWindows = report.windows.filter((w) => w.rule === HOT_KEY).map((w) => ({ window: w.window, demand: w.demand, admitted: w.admitted, reference: w.reference }))
  return {
    params: p,
    hotLimit,
    hotWindows,
    overAdmission: Math.max(0, ...hotWindows.map((w) => w.admitted - hotLimit)),
    underAdmission: Math.max(0, ...hotWindows.map((w) => w.reference - w.admitted)),
    falseRejections: report.falseRejections,
    gossipBytesPerNodePerSec: report.gossipBytesPerNodePerSec,
    framesPerNodePerSec: report.framesSent / p.nodes / (durationMs / 1000),
    wallMs: performance.now() - started,
  }
}
