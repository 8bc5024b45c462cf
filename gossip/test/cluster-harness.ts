// Real gossip hosts on loopback for the tests (like gubernator's cluster.Start(n) / Restart(i)): free ports, one
// data directory per member, a MaxMapChannel each, logs captured per node, and waitFor to wait on a condition
// with a timeout instead of sleeping.

import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGossip, loadOrCreatePeerId, type Gossip, type GossipInit, type GossipMember } from '../index.js'
import { MaxMapChannel } from './max-map-channel.js'

export interface LogEntry { level: 'info' | 'warn' | 'error' | 'debug'; obj: object; msg: string | undefined }

export class CapturingLogger {
  readonly entries: LogEntry[] = []
  constructor(private readonly prefix: string) {}
  info(obj: object, msg?: string): void { this.add('info', obj, msg) }
  warn(obj: object, msg?: string): void { this.add('warn', obj, msg) }
  error(obj: object, msg?: string): void { this.add('error', obj, msg) }
  debug(obj: object, msg?: string): void { this.add('debug', obj, msg) }
  has(level: LogEntry['level'], msg: string): boolean {
    return this.entries.some((e) => e.level === level && e.msg === msg)
  }
  private add(level: LogEntry['level'], obj: object, msg: string | undefined): void {
    this.entries.push({ level, obj, msg })
    if (process.env.GOSSIP_TEST_LOG === '1' && level !== 'debug') console.log(`[${this.prefix}] ${level} ${msg ?? ''} ${JSON.stringify(obj)}`)
  }
}

/** Ports that were free a moment ago (bound then released by the OS on 127.0.0.1). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const server = createServer()
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve(server))
    })),
  )
  const ports = servers.map((s) => (s.address() as { port: number }).port)
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  return ports
}

/** Polls condition every 10 ms until it holds; throws naming what was awaited after timeoutMs. */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** waitFor for a condition that must be fetched (e.g. from a child process): polls every 50 ms. */
export async function waitForAsync(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

export interface NodeOptions {
  secret?: string
  syncTimeoutMs?: number
  suspectAfterMs?: number
  intervalMs?: number
  maxFrameBytes?: number
  onHeard?: GossipInit['onHeard']
}

export interface TestNode {
  name: string
  dataDir: string
  channel: MaxMapChannel
  gossip: Gossip
  logger: CapturingLogger
}

export interface ClusterOptions extends NodeOptions {
  /** Write every member's peer id into the member list (turns the gater's allow-list on). */
  pinPeerIds?: boolean
}

export class TestCluster {
  readonly nodes: Array<TestNode | undefined>
  private constructor(
    readonly baseDir: string,
    readonly members: GossipMember[],
    readonly options: ClusterOptions,
  ) {
    this.nodes = members.map(() => undefined)
  }

  static async create(names: string[], options: ClusterOptions = {}): Promise<TestCluster> {
    const baseDir = await mkdtemp(join(tmpdir(), 'meliproxy-gossip-'))
    const ports = await freePorts(names.length)
    const members: GossipMember[] = []
    for (const [i, name] of names.entries()) {
      const member: GossipMember = { name, p2p: `127.0.0.1:${ports[i]}` }
      if (options.pinPeerIds === true) member.peerId = await loadOrCreatePeerId(join(baseDir, name))
      members.push(member)
    }
    return new TestCluster(baseDir, members, options)
  }

  dataDir(i: number): string {
    return join(this.baseDir, (this.members[i] as GossipMember).name)
  }

  init(i: number, channel: MaxMapChannel, logger: CapturingLogger, overrides: NodeOptions = {}): GossipInit {
    const o = { ...this.options, ...overrides }
    return {
      self: this.members[i] as GossipMember,
      members: this.members,
      dataDir: this.dataDir(i),
      ...(o.secret === undefined ? {} : { secret: o.secret }),
      intervalMs: o.intervalMs ?? 20,
      suspectAfterMs: o.suspectAfterMs ?? 1000,
      syncTimeoutMs: o.syncTimeoutMs ?? 3000,
      maxFrameBytes: o.maxFrameBytes ?? 4 * 1024 * 1024,
      channels: { kv: channel },
      logger,
      ...(o.onHeard === undefined ? {} : { onHeard: o.onHeard }),
    }
  }

  /** Creates and starts member i with a fresh channel (or the one given, to keep state across a restart). */
  async start(i: number, channel = new MaxMapChannel(), overrides: NodeOptions = {}): Promise<TestNode> {
    const name = (this.members[i] as GossipMember).name
    const logger = new CapturingLogger(name)
    const gossip = await createGossip(this.init(i, channel, logger, overrides))
    await gossip.start()
    const node: TestNode = { name, dataDir: this.dataDir(i), channel, gossip, logger }
    this.nodes[i] = node
    return node
  }

  node(i: number): TestNode {
    const node = this.nodes[i]
    if (node === undefined) throw new Error(`node ${i} is not running`)
    return node
  }

  async stop(i: number): Promise<void> {
    const node = this.nodes[i]
    this.nodes[i] = undefined
    await node?.gossip.stop()
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.stop(i)))
    await rm(this.baseDir, { recursive: true, force: true })
  }

  /** Waits until each of the running nodes `indices` sees every other one of them up. */
  async waitAllUp(indices: number[], timeoutMs = 10_000): Promise<void> {
    await waitFor(
      () => indices.every((i) => indices.every((j) => i === j || this.stateOf(i, j) === 'up')),
      timeoutMs,
      `nodes ${indices.join(', ')} seeing each other up`,
    )
  }

  /** Member i's view of member j's state. */
  stateOf(i: number, j: number): string | undefined {
    return this.node(i).gossip.members().find((m) => m.name === (this.members[j] as GossipMember).name)?.state
  }
}
