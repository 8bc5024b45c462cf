// GET /metrics: one prom-client Registry per node, with Node's default process metrics and meliproxy_* metrics.
// Nothing here runs per request: every value is read when Prometheus scrapes (collect callbacks), from what the node
// keeps anyway — statistics totals (stats-totals.ts), the counters, the gossip host, the proxy's in-flight count.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { MemberState } from '../../gossip/index.js'
import { OUTCOMES } from '../stats/index.js'
import { VERSION } from '../version.js'
import type { AdminNode } from './admin-node.js'
import { BinnedLatencyHistogram } from './latency-histogram-metric.js'
import { StatsTotals, type Totals } from './stats-totals.js'

const MEMBER_STATES: readonly MemberState[] = ['self', 'connecting', 'syncing', 'up', 'suspect', 'down']

export class AdminMetrics {
  readonly registry = new Registry()
  private readonly totals: StatsTotals

  constructor(node: AdminNode) {
    const registry = this.registry
    const registers = [registry]
    const totals = new StatsTotals(node.stats)
    this.totals = totals
    const current = (): Totals => totals.current
    collectDefaultMetrics({ register: registry })

    new Gauge({
      name: 'meliproxy_info',
      help: 'Always 1; the labels say which node and version this is.',
      labelNames: ['node', 'peer_id', 'version'],
      registers,
      collect() {
        this.set({ node: node.options.node.id, peer_id: node.peerId, version: VERSION }, 1)
      },
    })
    new Gauge({
      name: 'meliproxy_ready',
      help: '1 once the node synced its counters with its peers (or the sync timeout passed) and serves traffic.',
      registers,
      collect() {
        this.set(node.ready ? 1 : 0)
      },
    })
    new Gauge({
      name: 'meliproxy_in_flight_requests',
      help: 'Requests forwarded to the upstream and not finished yet.',
      registers,
      collect() {
        this.set(node.proxy.inFlight)
      },
    })

    // ---- traffic, from the statistics ----
    new Counter({
      name: 'meliproxy_requests_total',
      help: 'Requests answered since the process started, by outcome (limited429 = rejected by a rule; upstreamError = no upstream answer, 502/504).',
      labelNames: ['outcome'],
      registers,
      collect() {
        this.reset()
        const t = current()
        for (const o of OUTCOMES) this.inc({ outcome: o }, nonNegative(t.outcomes.get(o)!))
      },
    })
    new Counter({
      name: 'meliproxy_request_bytes_total',
      help: 'Body bytes received from clients (in) and sent to them (out) since the process started.',
      labelNames: ['direction'],
      registers,
      collect() {
        this.reset()
        const t = current()
        this.inc({ direction: 'in' }, nonNegative(t.bytesIn))
        this.inc({ direction: 'out' }, nonNegative(t.bytesOut))
      },
    })
    new Counter({
      name: 'meliproxy_rule_decisions_total',
      help: 'Decisions of each rule since the process started: admitted, or limited (shadow-mode rejections included).',
      labelNames: ['rule', 'decision'],
      registers,
      collect() {
        this.reset()
        for (const [rule, [admitted, limited]] of current().rules) {
          this.inc({ rule, decision: 'admitted' }, nonNegative(admitted))
          this.inc({ rule, decision: 'limited' }, nonNegative(limited))
        }
      },
    })
    registry.registerMetric(
      new BinnedLatencyHistogram({
        name: 'meliproxy_request_duration_seconds',
        help: 'Time from request to the end of the response, whole (part="total") and spent in the proxy itself (part="proxy": total minus upstream time).',
        labelNames: ['part'],
        read: () => [
          { labels: { part: 'total' }, bins: current().latencyTotal },
          { labels: { part: 'proxy' }, bins: current().latencyProxy },
        ],
      }),
    )
    new Gauge({
      name: 'meliproxy_rules',
      help: 'Rules in force on this node.',
      registers,
      collect() {
        this.set(node.rules.compiled.rules.length)
      },
    })

    // ---- counters ----
    new Gauge({
      name: 'meliproxy_counter_keys',
      help: 'Live (key, window) counter series held by this node.',
      registers,
      collect() {
        this.set(node.counters.size)
      },
    })
    new Counter({
      name: 'meliproxy_counter_evictions_total',
      help: 'Counter series evicted because the key limit was reached (live counts forgotten: raise the limit if this grows).',
      registers,
      collect() {
        this.reset()
        this.inc(node.counters.evictions)
      },
    })

    // ---- gossip ----
    const gossipCounter = (name: string, help: string, read: (s: ReturnType<AdminNode['gossip']['stats']>) => number): void => {
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset()
          this.inc(read(node.gossip.stats()))
        },
      })
    }
    new Counter({
      name: 'meliproxy_gossip_bytes_total',
      help: 'Bytes of gossip frames received (in) and sent (out), length prefixes included.',
      labelNames: ['direction'],
      registers,
      collect() {
        this.reset()
        const s = node.gossip.stats()
        this.inc({ direction: 'in' }, s.bytesIn)
        this.inc({ direction: 'out' }, s.bytesOut)
      },
    })
    new Counter({
      name: 'meliproxy_gossip_frames_total',
      help: 'Gossip frames received (in) and sent (out).',
      labelNames: ['direction'],
      registers,
      collect() {
        this.reset()
        const s = node.gossip.stats()
        this.inc({ direction: 'in' }, s.framesIn)
        this.inc({ direction: 'out' }, s.framesOut)
      },
    })
    gossipCounter('meliproxy_gossip_malformed_frames_total', 'Inbound gossip frames that were oversized, undecodable or rejected (each closed its stream).', (s) => s.malformedFrames)
    gossipCounter('meliproxy_gossip_reconnects_total', 'Outbound gossip streams re-established after one to the same member had closed.', (s) => s.reconnects)
    gossipCounter('meliproxy_gossip_rejected_peers_total', 'Gossip hellos refused (not a member, other cluster or protocol version).', (s) => s.rejectedPeers)
    gossipCounter('meliproxy_gossip_slow_peer_aborts_total', 'Gossip streams reset because the peer stopped reading.', (s) => s.slowPeerAborts)
    gossipCounter('meliproxy_gossip_oversized_outbound_total', 'Outbound deltas or snapshots dropped for exceeding gossip.maxFrameBytes.', (s) => s.oversizedOutbound)
    new Gauge({
      name: 'meliproxy_peer_state',
      help: '1 for the state each member is in as this node sees it, 0 for the others.',
      labelNames: ['peer', 'state'],
      registers,
      collect() {
        this.reset()
        for (const m of node.gossip.members()) {
          for (const state of MEMBER_STATES) this.set({ peer: m.name, state }, m.state === state ? 1 : 0)
        }
      },
    })
    new Gauge({
      name: 'meliproxy_peer_lag_seconds',
      help: "Delta propagation latency from each member to this node (sender's timestamp to applied here), over its recent deltas.",
      labelNames: ['peer', 'quantile'],
      registers,
      collect() {
        this.reset()
        for (const m of node.gossip.members()) {
          if (m.lagMs === null) continue
          this.set({ peer: m.name, quantile: '0.5' }, m.lagMs.p50 / 1000)
          this.set({ peer: m.name, quantile: '0.99' }, m.lagMs.p99 / 1000)
        }
      },
    })

    // ---- statistics store ----
    new Gauge({
      name: 'meliproxy_stats_outbox_pending',
      help: 'Closed stats buckets waiting to be written to MongoDB (0 when stats.mongo is not set).',
      registers,
      collect() {
        this.set(node.stats.live().sink?.pending ?? 0)
      },
    })
    new Gauge({
      name: 'meliproxy_stats_outbox_failures',
      help: 'Consecutive failed attempts to write stats buckets to MongoDB (0 after a success, and when stats.mongo is not set).',
      registers,
      collect() {
        this.set(node.stats.live().sink?.failures ?? 0)
      },
    })
  }

  get contentType(): string {
    return this.registry.contentType
  }

  /** The text exposition, with every value read now. */
  async render(): Promise<string> {
    await this.totals.refresh()
    return this.registry.metrics()
  }

  /** Forgets every metric (the node is stopping). */
  close(): void {
    this.registry.clear()
  }
}

function nonNegative(x: number): number {
  return x > 0 ? x : 0
}
