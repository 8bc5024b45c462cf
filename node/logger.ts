// One JSON line per event on stdout (pino). `meliproxy up` reads its children's lines and prints them for people.
import { pino, type Logger } from 'pino'

export type { Logger }

export function createLogger(bindings: Record<string, string>, level = process.env.MELIPROXY_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: bindings, timestamp: pino.stdTimeFunctions.isoTime })
}
