// Steady background traffic through a live cluster for the browser test, so the page has rates, counts and limited
// keys to show while it is watched. Each client is one loopback source address (undici `localAddress`) with its own
// list of paths; a ticker gives every client one request per tick, sent only when its previous one has finished, so a
// slow (loaded) machine gets fewer requests rather than a growing pile. Requests go round-robin over the target
// nodes, which the test can change (e.g. to stop sending to a node it is about to kill).
import { Agent, request } from 'undici'

export interface TrafficClient {
  /** Source address on loopback, e.g. "127.0.0.11" (Linux routes all of 127.0.0.0/8 to lo). */
  address: string
  /** Paths sent in turn, e.g. ["/categories/MLA97994", "/sites/MLA"]. */
  paths: readonly string[]
}

export interface TrafficCounts {
  /** Responses received, by status code. */
  byStatus: Record<number, number>
  /** Requests that got no response (refused, reset: a killed node). */
  failed: number
  /** 429s by source address, then by the rule named in the 429 body. */
  limited: Record<string, Record<string, number>>
}

/** What a 429 from the proxy carries in its JSON body (node/rules/rate-limit-headers.ts). */
interface RejectionBody {
  rule?: unknown
}

export class TrafficGenerator {
  readonly #clients: readonly TrafficClient[]
  readonly #agents = new Map<string, Agent>()
  readonly #busy = new Set<string>()
  readonly #inFlight = new Set<Promise<void>>()
  readonly #periodMs: number
  #targets: readonly string[]
  #next = 0
  #pathIndex = new Map<string, number>()
  #timer: NodeJS.Timeout | null = null
  readonly #counts: TrafficCounts = { byStatus: {}, failed: 0, limited: {} }

  /** `targets`: base URLs of node HTTP addresses; `periodMs`: the tick, i.e. at most one request per client per tick. */
  constructor(targets: readonly string[], clients: readonly TrafficClient[], periodMs: number) {
    if (targets.length === 0 || clients.length === 0) throw new RangeError('traffic needs at least one target and one client')
    this.#targets = [...targets]
    this.#clients = clients
    this.#periodMs = periodMs
    for (const c of clients) this.#agents.set(c.address, new Agent({ localAddress: c.address, connections: 2 }))
  }

  start(): void {
    if (this.#timer !== null) return
    this.#timer = setInterval(() => this.#tick(), this.#periodMs)
    this.#tick()
  }

  /** The nodes the next requests go to. */
  setTargets(targets: readonly string[]): void {
    if (targets.length === 0) throw new RangeError('traffic needs at least one target')
    this.#targets = [...targets]
  }

  /** A copy of the counts so far. */
  counts(): TrafficCounts {
    return structuredClone(this.#counts)
  }

  /** Responses received so far. */
  answered(status?: number): number {
    if (status !== undefined) return this.#counts.byStatus[status] ?? 0
    return Object.values(this.#counts.byStatus).reduce((sum, n) => sum + n, 0)
  }

  /** Stops ticking, waits for the requests in flight, closes the connections. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    await Promise.allSettled([...this.#inFlight])
    await Promise.allSettled([...this.#agents.values()].map((a) => a.close()))
  }

  #tick(): void {
    for (const client of this.#clients) {
      if (this.#busy.has(client.address)) continue
      const i = this.#pathIndex.get(client.address) ?? 0
      this.#pathIndex.set(client.address, i + 1)
      const path = client.paths[i % client.paths.length]!
      const target = this.#targets[this.#next++ % this.#targets.length]!
      this.#busy.add(client.address)
      const sending = this.#send(client.address, `${target}${path}`).finally(() => {
        this.#busy.delete(client.address)
        this.#inFlight.delete(sending)
      })
      this.#inFlight.add(sending)
    }
  }

  async #send(address: string, url: string): Promise<void> {
    try {
      const res = await request(url, { dispatcher: this.#agents.get(address)!, headersTimeout: 5000, bodyTimeout: 5000 })
      const body = await res.body.text()
      this.#counts.byStatus[res.statusCode] = (this.#counts.byStatus[res.statusCode] ?? 0) + 1
      if (res.statusCode === 429) {
        let rule = '?'
        try {
          const parsed = JSON.parse(body) as RejectionBody
          if (typeof parsed.rule === 'string') rule = parsed.rule
        } catch {
          // A 429 without the proxy's JSON body is counted under "?".
        }
        const perAddress = (this.#counts.limited[address] ??= {})
        perAddress[rule] = (perAddress[rule] ?? 0) + 1
      }
    } catch {
      this.#counts.failed++
    }
  }
}
