// The local Meli-like origin used by tests, the demo and the benchmarks (api.mercadolibre.com is not
// reachable from here). See origin-server.ts for the server and test-endpoints.ts for /__origin/.
export { startOrigin, defaultFixturesDir, ORIGIN_DEFAULTS, type Origin, type OriginOptions } from './origin-server.js'
export { EVENT_LIMITS, type OriginEvents, type OriginEventsSnapshot, type OriginRequestRecord } from './origin-events.js'
export { TEST_ENDPOINT_LIMITS } from './test-endpoints.js'
export { BYTE_PATTERN_PERIOD, deterministicBytes } from './deterministic-bytes.js'
export { SEARCH_LIMITS } from './meli-resources.js'
export { OriginFixtureError, OriginListenError, OriginOptionsError, OriginWaitTimeoutError } from './errors.js'
