// Errors of the benchmark library. Code matches on `code`, never on message text.

/** A load run could not start or its tool failed (wrk exited non-zero, autocannon reported an error). */
export class LoadRunError extends Error {
  override readonly name = 'LoadRunError'
  readonly code = 'MELIPROXY_ERR_BENCH_LOAD'
}

/** wrk's output did not contain what a finished run prints. */
export class WrkOutputError extends Error {
  override readonly name = 'WrkOutputError'
  readonly code = 'MELIPROXY_ERR_BENCH_WRK_OUTPUT'
}

/** Options given to a bench helper are out of range (e.g. a limit rule nginx cannot express). */
export class BenchOptionsError extends Error {
  override readonly name = 'BenchOptionsError'
  readonly code = 'MELIPROXY_ERR_BENCH_OPTIONS_INVALID'
}

/** A process the benchmark started (origin, nginx) did not become ready in time or exited early. */
export class BenchProcessError extends Error {
  override readonly name = 'BenchProcessError'
  readonly code = 'MELIPROXY_ERR_BENCH_PROCESS'
}

/** The bench config (bench/cluster.bench.yml or --config) is unreadable or invalid. */
export class BenchConfigError extends Error {
  override readonly name = 'BenchConfigError'
  readonly code = 'MELIPROXY_ERR_BENCH_CONFIG_INVALID'
}

/** The command line of `meliproxy bench` is wrong (unknown suite or option, a value out of range). */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError'
  readonly code = 'MELIPROXY_ERR_BENCH_USAGE'
}

/** A node's admin API answered with an error status or an unexpected body. */
export class BenchAdminError extends Error {
  override readonly name = 'BenchAdminError'
  readonly code = 'MELIPROXY_ERR_BENCH_ADMIN'
}
