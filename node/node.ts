// One meliproxy node: everything one process runs, started in dependency order and stopped in reverse.
//
//   LMDB state (rules, own counters) ─┐
//   LMDB stats ───────────────────────┤
//   WindowCounters ◀── gossip (libp2p) ◀──▶ peers
//   RuleBook ──compile──▶ Limiter ─────┤
//   ProxyServer (uWS → undici) ────────┘   AdminServer (REST, metrics, UI)
//
// The proxy answers 503 until gossip is ready (its peers' counters merged, or the sync timeout passed), so a
// restarted node never forgets what the cluster admitted.
import { mkdirSync, statSync } from 'node:fs'
import { DEFAULT_CODEC_LIMITS, WindowCounters, type CodecLimits } from '../crdt-counters/index.js'
import { createGossip, loadOrCreatePeerId, type Gossip } from '../gossip/index.js'
import { AdminServer } from './admin/admin-server.js'
import type { ClusterConfig, NodeConfig } from './config/schema.js'
import { NOT_RECORDING, StatsExchangeRecorder } from './exchange-recorder.js'
import { ProxyServer } from './http/proxy-server.js'
import { LimiterWithStats } from './limiter-with-stats.js'
import { PartitionShare } from './partition-policy.js'
import type { Logger } from './logger.js'
import { ClientAddressResolver } from './proxy/client-address.js'
import { Upstream } from './proxy/upstream.js'
import { Limiter, normalizePathOrNull } from './rules/index.js'
import { countersChannel } from './state/counters-channel.js'
import { NodeStateStore } from './state/node-state-store.js'
import { RuleBook } from './state/rule-book.js'
import { NodeStats } from './stats/index.js'
import { UrgentLagTracker } from './urgent-lag.js'
import { VERSION } from './version.js'

export interface MeliNodeOptions {
  config: ClusterConfig
  node: NodeConfig
  /** Where the cluster.yml came from: its modification time stamps the file's rules. */
  configFile?: string
  upstreamUrl: string
  adminToken: string | undefined
  clusterSecret: string | undefined
  logger: Logger
  now?: () => number
}

const PRUNE_INTERVAL_MS = 5000

export class MeliNode {
  readonly options: MeliNodeOptions
  readonly peerId: string
  readonly startedAt: number
  readonly counters: WindowCounters
  readonly rules: RuleBook
  readonly stats: NodeStats
  readonly gossip: Gossip
  readonly proxy: ProxyServer
  readonly admin: AdminServer
  private readonly state: NodeStateStore
  private readonly upstream: Upstream
  private readonly pruneTimer: NodeJS.Timeout
  private stopped = false

  private constructor(parts: {
    options: MeliNodeOptions
    peerId: string
    startedAt: number
    counters: WindowCounters
    rules: RuleBook
    stats: NodeStats
    gossip: Gossip
    proxy: ProxyServer
    admin: AdminServer
    state: NodeStateStore
    upstream: Upstream
  }) {
    this.options = parts.options
    this.peerId = parts.peerId
    this.startedAt = parts.startedAt
    this.counters = parts.counters
    this.rules = parts.rules
    this.stats = parts.stats
    this.gossip = parts.gossip
    this.proxy = parts.proxy
    this.admin = parts.admin
    this.state = parts.state
    this.upstream = parts.upstream
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_INTERVAL_MS)
    this.pruneTimer.unref()
  }

  static async start(options: MeliNodeOptions): Promise<MeliNode> {
    const { config, node, logger } = options
    const now = options.now ?? Date.now
    const startedAt = now()
    mkdirSync(node.dataDir, { recursive: true, mode: 0o700 })
    checkClusterAuthentication(config, options.clusterSecret)

    const peerId = await loadOrCreatePeerId(node.dataDir)
    const codecLimits: CodecLimits = { ...DEFAULT_CODEC_LIMITS, maxBytes: config.cluster.gossip.maxFrameBytes }
    const state = NodeStateStore.open(node.dataDir)
    const cleanup: Array<() => Promise<void> | void> = [() => state.close()]
    try {
      const gossipDelayMs = config.cluster.gossip.intervalMs * 2
      const counters = new WindowCounters({
        self: peerId,
        // An admission here reaches the peers after at most one push interval plus the transfer.
        gossipDelayMs,
      })
      counters.mergeSnapshot(state.loadOwn(peerId, now()), now())

      const stats = await NodeStats.open({
        nodeId: peerId,
        nodeName: node.id,
        dataDir: node.dataDir,
        flushIntervalMs: config.stats.flushIntervalMs,
        retention: { minutesMs: config.stats.minuteRetention, hoursMs: config.stats.retention },
        maxTopKeys: config.stats.maxTopKeys,
        ...(config.stats.mongo ? { mongo: { uri: config.stats.mongo.uri, database: config.stats.mongo.database } } : {}),
        logger,
        now,
      })
      cleanup.push(() => stats.close())

      const rules = new RuleBook({
        peerId,
        nodeName: node.id,
        configRules: config.rules,
        configStamp: configStampOf(options.configFile, startedAt),
        store: state,
        codecLimits,
        logger,
        now,
      })
      const share = config.cluster.partitionPolicy === 'share' ? new PartitionShare(counters, config.nodes.length) : null
      const limiter = new Limiter(share ?? counters)
      limiter.setRules(rules.compiled)
      rules.onChange((compiled) => {
        limiter.setRules(compiled)
        logger.info({ rules: compiled.rules.map((r) => r.id) }, 'rule set changed')
      })

      const self = { name: node.id, p2p: hostPort(node.p2p), ...(node.peerId ? { peerId: node.peerId } : {}) }
      const gossip = await createGossip({
        self,
        members: config.nodes.map((n) => ({ name: n.id, p2p: hostPort(n.p2p), ...(n.peerId ? { peerId: n.peerId } : {}) })),
        dataDir: node.dataDir,
        ...(options.clusterSecret ? { secret: options.clusterSecret } : {}),
        cluster: config.cluster.name,
        intervalMs: config.cluster.gossip.intervalMs,
        batchSize: config.cluster.gossip.batchSize,
        suspectAfterMs: config.cluster.gossip.suspectAfterMs,
        syncTimeoutMs: config.cluster.gossip.syncTimeoutMs,
        maxFrameBytes: config.cluster.gossip.maxFrameBytes,
        channels: { counters: countersChannel(counters, state, codecLimits), rules: rules.channel() },
        logger,
        now,
        onHeard: (peer, heardAt) => counters.peerHeard(peer, heardAt),
      })
      // Near a limit a node splits the rest again once its peers' flushed deltas have had time to arrive
      // (crdt-counters' urgentLagMs); how long that is depends on the load, so it follows the measured gossip lag.
      const urgentLag = new UrgentLagTracker(() => gossip.members(), gossipDelayMs, (ms) => counters.setUrgentLagMs(ms))
      cleanup.push(() => urgentLag.stop())
      gossip.on('member', (m) => {
        if (share !== null) {
          const up = gossip.members().filter((x) => x.state === 'self' || x.state === 'up' || x.state === 'syncing').length
          share.setVisible(up)
        }
        if (m.peerId === null || m.state === 'self') return
        if (m.state === 'down') counters.peerDown(m.peerId, now())
        else if (m.state === 'up') counters.peerHeard(m.peerId, now())
      })

      const upstream = new Upstream({ ...config.upstream, url: options.upstreamUrl })
      cleanup.push(() => upstream.close())
      // Deltas of nearly exhausted keys go out at the end of the current event-loop turn (coalesced: one flush per turn).
      let flushScheduled = false
      const flushSoon = () => {
        if (flushScheduled) return
        flushScheduled = true
        setImmediate(() => {
          flushScheduled = false
          gossip.flush()
        })
      }
      const limiterWithStats = new LimiterWithStats(limiter, stats, logger, flushSoon, config.stats.enabled)
      const proxy = new ProxyServer({
        listen: node.http,
        upstream,
        clientAddress: new ClientAddressResolver(config.trustedProxies),
        normalizePath: normalizePathOrNull,
        limiter: () => limiterWithStats,
        recorder: config.stats.enabled ? new StatsExchangeRecorder(stats) : NOT_RECORDING,
        isReady: () => gossip.ready,
        maxHeaderBytes: config.proxy.maxHeaderBytes,
        maxBodyBytes: config.proxy.maxBodyBytes,
        maxInFlight: config.proxy.maxInFlight,
        trustRequestId: config.proxy.trustRequestId,
      })

      const admin = new AdminServer({ listen: node.admin, logger })
      await gossip.start()
      cleanup.push(() => gossip.stop())
      await proxy.start()
      cleanup.push(() => proxy.stop())
      const meli = new MeliNode({ options, peerId, startedAt, counters, rules, stats, gossip, proxy, admin, state, upstream })
      await admin.start(meli)
      logger.info(
        { peerId, version: VERSION, http: hostPort(node.http), admin: hostPort(node.admin), p2p: hostPort(node.p2p), upstream: upstream.origin, rules: rules.compiled.rules.length },
        'node started',
      )
      void gossip.whenReady().then(
        () => logger.info({ afterMs: now() - startedAt }, 'ready: counters synced with reachable peers'),
        () => {},
      )
      return meli
    } catch (err) {
      for (const undo of cleanup.reverse()) {
        try {
          await undo()
        } catch {
          // the start error is what the operator needs to see
        }
      }
      throw err
    }
  }

  get ready(): boolean {
    return this.gossip.ready
  }

  /** Stops accepting, pushes the last deltas (also journalling them), flushes statistics, closes stores. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    clearInterval(this.pruneTimer)
    this.admin.stop()
    this.proxy.stop()
    this.gossip.flush()
    await this.gossip.stop()
    await this.upstream.close()
    await this.stats.close()
    await this.state.close()
  }

  private prune(): void {
    const now = (this.options.now ?? Date.now)()
    this.counters.prune(now)
    this.state.pruneOwn(now).catch((err: unknown) => this.options.logger.warn({ err }, 'could not prune the counter journal'))
  }
}

/** Several nodes must authenticate each other: by the cluster secret, or by every node's configured peer id. */
function checkClusterAuthentication(config: ClusterConfig, secret: string | undefined): void {
  if (config.nodes.length === 1 || secret !== undefined) return
  if (config.nodes.every((n) => n.peerId !== undefined)) return
  throw new ClusterAuthenticationMissingError()
}

export class ClusterAuthenticationMissingError extends Error {
  override readonly name = 'ClusterAuthenticationMissingError'
  readonly code = 'MELIPROXY_ERR_NO_CLUSTER_AUTH'
  constructor() {
    super(
      'cluster.secret: not set, and not every node has a peerId: peers could not tell members from strangers. ' +
        'Set MELIPROXY_CLUSTER_SECRET (at least 16 characters) on every node, or run `meliproxy keygen` and add each peerId to cluster.yml',
    )
  }
}

function configStampOf(file: string | undefined, fallback: number): number {
  if (file === undefined) return fallback
  try {
    return Math.floor(statSync(file).mtimeMs)
  } catch {
    return fallback
  }
}

export function hostPort(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}
