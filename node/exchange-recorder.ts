// Turns the hot path's exchange reports into statistics outcomes (one switch, no allocation).
import type { ExchangeRecorder } from './http/proxy-server.js'
import type { NodeStats, Outcome } from './stats/index.js'

export class StatsExchangeRecorder implements ExchangeRecorder {
  private readonly stats: NodeStats

  constructor(stats: NodeStats) {
    this.stats = stats
  }

  exchange(status: number, upstreamError: boolean, limited: boolean, bytesIn: number, bytesOut: number, totalMicros: number, upstreamMicros: number): void {
    this.stats.record(outcomeOf(status, upstreamError, limited), status, bytesIn, bytesOut, totalMicros, upstreamMicros)
  }
}

export function outcomeOf(status: number, upstreamError: boolean, limited: boolean): Outcome {
  if (upstreamError) return 'upstreamError'
  if (limited) return 'limited429'
  if (status < 300) return 'ok2xx'
  if (status < 400) return 'redirect3xx'
  if (status === 404) return 'notFound404'
  if (status < 500) return 'clientError4xx'
  return 'serverError5xx'
}

/** `stats.enabled: false`: requests are not recorded (what the store already holds can still be read). */
export const NOT_RECORDING: ExchangeRecorder = { exchange() {} }
