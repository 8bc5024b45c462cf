// Errors of the stats area. Callers match on `code`, never on message text.

export class StatsConfigError extends Error {
  override readonly name = 'StatsConfigError'
  readonly code = 'MELIPROXY_ERR_STATS_CONFIG_INVALID'
  constructor(readonly field: string, readonly value: unknown, allowed: string) {
    super(`${field}: ${describe(value)} ${allowed}`)
  }
}

export class StatsQueryError extends Error {
  override readonly name = 'StatsQueryError'
  readonly code = 'MELIPROXY_ERR_STATS_QUERY_INVALID'
  constructor(readonly field: string, readonly value: unknown, allowed: string) {
    super(`${field}: ${describe(value)} ${allowed}`)
  }
}

export class StatsClosedError extends Error {
  override readonly name = 'StatsClosedError'
  readonly code = 'MELIPROXY_ERR_STATS_CLOSED'
  constructor(operation: string) {
    super(`stats store is closed (${operation})`)
  }
}

export class StatsMongoNotConfiguredError extends Error {
  override readonly name = 'StatsMongoNotConfiguredError'
  readonly code = 'MELIPROXY_ERR_STATS_MONGO_NOT_CONFIGURED'
  constructor() {
    super('stats.mongo.uri is not set: cluster-wide history from MongoDB is unavailable')
  }
}

export class StatsRecordCorruptError extends Error {
  override readonly name = 'StatsRecordCorruptError'
  readonly code = 'MELIPROXY_ERR_STATS_RECORD_CORRUPT'
  constructor(reason: string) {
    super(`stored stats bucket is corrupt: ${reason}`)
  }
}

export class StatsSinkTimeoutError extends Error {
  override readonly name = 'StatsSinkTimeoutError'
  readonly code = 'MELIPROXY_ERR_STATS_SINK_TIMEOUT'
  constructor(readonly timeoutMs: number) {
    super(`stats sink did not acknowledge a write within ${timeoutMs} ms`)
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing'
  try {
    const text = JSON.stringify(value) ?? String(value)
    return text.length > 80 ? `${text.slice(0, 79)}…` : text
  } catch {
    return String(value)
  }
}
