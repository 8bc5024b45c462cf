// Request facts for tests, built like the proxy builds them (normalised path, upper-case method).
import type { RequestFacts } from '../compile.js'
import { normalizePath } from '../normalize-path.js'

export function facts(ip: string, rawPath: string, method = 'GET', headers: Record<string, string> = {}): RequestFacts & { reads: string[] } {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
  const reads: string[] = []
  return {
    ip,
    path: normalizePath(rawPath),
    method: method.toUpperCase(),
    header(name: string) {
      reads.push(name)
      return lower.get(name)
    },
    reads,
  }
}
