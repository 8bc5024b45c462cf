// The cluster's rule set: a last-writer-wins map (rule id → rule) stamped by a hybrid logical clock, replicated
// through gossip, kept in LMDB, compiled for the limiter on every change.
//
// Where rules come from, and who wins:
// - cluster.yml: its rules are stamped with the file's modification time (node "cluster.yml#<hash of the rule>", so
//   two nodes with different files never tie). A rule that was in the stored set, stamped before the file, and is
//   no longer in the file is deleted. Editing the file is a write like any other.
// - the admin API: create/update/delete on any node, stamped with that node's clock, pushed to every peer.
// - peers: every delta and snapshot is merged; a value that fails the rule schema is dropped with a warning.
// The latest stamp wins everywhere, so every node converges on the same set.
import { createHash } from 'node:crypto'
import {
  HybridClock,
  LwwMap,
  decodeLww,
  encodeLwwFrames,
  type CodecLimits,
  type Hlc,
  type LwwEntry,
} from '../../crdt-counters/index.js'
import { MAX_ENVELOPE_OVERHEAD_BYTES, type ReplicatedChannel } from '../../gossip/index.js'
import { formatIssues } from '../config/validation-error.js'
import type { Logger } from '../logger.js'
import { compileRules, ruleSchema, RULE_LIMITS, type CompiledRules, type RuleConfig } from '../rules/index.js'
import { RuleConflictError, RuleNotFoundError, RuleRejectedError } from './errors.js'
import type { NodeStateStore } from './node-state-store.js'

/** What the map holds per rule id. */
export interface StoredRule {
  rule: RuleConfig
  /** The node name that made the change ("cluster.yml" for the file). */
  updatedBy: string
}

export interface RuleView extends StoredRule {
  updatedAt: number
}

export interface RuleBookOptions {
  /** This node's peer id (its HLC identity) and its name (shown as updatedBy). */
  peerId: string
  nodeName: string
  configRules: readonly RuleConfig[]
  /** Modification time of cluster.yml (ms): the stamp of its rules. */
  configStamp: number
  store: NodeStateStore
  codecLimits: CodecLimits
  logger: Logger
  now: () => number
}

const CONFIG_NODE = 'cluster.yml'

export class RuleBook {
  private readonly map = new LwwMap<StoredRule>()
  private readonly clock: HybridClock
  private readonly opts: RuleBookOptions
  private readonly configOrder: Map<string, number>
  private pending = 0
  private compiledRules: CompiledRules
  private readonly listeners: Array<(compiled: CompiledRules) => void> = []

  constructor(opts: RuleBookOptions) {
    this.opts = opts
    this.clock = new HybridClock(opts.peerId)
    this.configOrder = new Map(opts.configRules.map((r, i) => [r.id, i]))
    this.mergeValidated(opts.store.loadRules(), 'stored')
    this.seedFromConfig()
    this.map.takeDelta() // what we start with is sent by snapshot on connection, not as a delta
    this.pending = 0
    this.compiledRules = compileRules(this.ordered().map((v) => v.rule))
    void this.persist()
  }

  get compiled(): CompiledRules {
    return this.compiledRules
  }

  /** Called after every change of the visible rule set (local or from a peer) with the new compiled rules. */
  onChange(listener: (compiled: CompiledRules) => void): void {
    this.listeners.push(listener)
  }

  list(): RuleView[] {
    return this.ordered()
  }

  get(id: string): RuleView | undefined {
    return this.ordered().find((v) => v.rule.id === id)
  }

  /** Validates and adds a rule. Throws RuleRejectedError (with problems), RuleConflictError. */
  create(body: unknown): RuleView {
    const rule = this.validate(body, 'body')
    if (this.map.get(rule.id) !== undefined) throw new RuleConflictError(rule.id)
    if (this.map.values().length >= RULE_LIMITS.maxRules) {
      throw new RuleRejectedError([`body: the cluster already has the maximum of ${RULE_LIMITS.maxRules} rules`])
    }
    return this.write(rule)
  }

  /** Replaces rule `id` with `body` (whose id may be omitted). Throws RuleNotFoundError, RuleRejectedError. */
  update(id: string, body: unknown): RuleView {
    if (this.map.get(id) === undefined) throw new RuleNotFoundError(id)
    const withId = body !== null && typeof body === 'object' && !Array.isArray(body) && !('id' in body) ? { ...body, id } : body
    const rule = this.validate(withId, 'body')
    if (rule.id !== id) throw new RuleRejectedError([`body.id: ${JSON.stringify(rule.id)} does not match the rule being updated (${JSON.stringify(id)})`])
    return this.write(rule)
  }

  remove(id: string): void {
    if (this.map.get(id) === undefined) throw new RuleNotFoundError(id)
    this.map.delete(id, this.clock.now(this.opts.now()))
    this.pending++
    this.changed()
  }

  /**
   * The gossip channel that replicates this rule set. Up to 1000 rules of up to 1024 addresses each, plus the
   * tombstones of deleted ones, can exceed one frame: deltas and snapshots are split by encodeLwwFrames.
   */
  channel(): ReplicatedChannel {
    // Frames must decode under the peers' limits and fit in a gossip frame with their envelope.
    const limits = this.opts.codecLimits
    const outbound: CodecLimits = { ...limits, maxBytes: limits.maxBytes - MAX_ENVELOPE_OVERHEAD_BYTES }
    return {
      takeDelta: () => {
        if (this.pending === 0) return undefined
        this.pending = 0
        const delta = this.map.takeDelta()
        return delta.length === 0 ? undefined : encodeLwwFrames(delta, outbound)
      },
      pendingSize: () => this.pending,
      applyDelta: (from, payload) => this.applyRemote(from, payload),
      snapshot: () => encodeLwwFrames(this.map.snapshot(), outbound),
      applySnapshot: (from, payload) => this.applyRemote(from, payload),
    }
  }

  private applyRemote(from: string, payload: Uint8Array): void {
    const entries = decodeLww(payload, this.opts.codecLimits)
    const changed = this.mergeValidated(entries, from)
    if (changed > 0) this.changed()
  }

  /** Merges entries whose values pass the rule schema; returns how many visible rules changed. */
  private mergeValidated(entries: LwwEntry<unknown>[], source: string): number {
    const valid: LwwEntry<StoredRule>[] = []
    for (const entry of entries) {
      const value = this.checkValue(entry, source)
      if (value === undefined) continue
      this.clock.observe(entry.stamp, this.opts.now())
      valid.push({ key: entry.key, value, stamp: entry.stamp })
    }
    const changed = this.map.merge(valid).length
    this.pending += changed
    return changed
  }

  private checkValue(entry: LwwEntry<unknown>, source: string): StoredRule | null | undefined {
    if (entry.value === null) return null
    const v = entry.value as Partial<StoredRule>
    const parsed = ruleSchema.safeParse(v?.rule)
    if (!parsed.success || parsed.data.id !== entry.key || typeof v.updatedBy !== 'string' || v.updatedBy.length > 64) {
      const problems = parsed.success ? ['rule id, key or updatedBy do not agree'] : formatIssues(parsed.error.issues, v?.rule, 'rule')
      this.opts.logger.warn({ source, rule: entry.key, problems }, 'dropped an invalid replicated rule')
      return undefined
    }
    return { rule: parsed.data, updatedBy: v.updatedBy }
  }

  private seedFromConfig(): void {
    const { configRules, configStamp } = this.opts
    const inFile = new Set<string>()
    for (const rule of configRules) {
      inFile.add(rule.id)
      const stamp: Hlc = { wall: configStamp, counter: 0, node: `${CONFIG_NODE}#${hashRule(rule)}` }
      this.map.set(rule.id, { rule, updatedBy: CONFIG_NODE }, stamp)
    }
    for (const entry of this.map.snapshot()) {
      if (entry.value !== null && !inFile.has(entry.key) && entry.stamp.wall < configStamp) {
        this.map.delete(entry.key, { wall: configStamp, counter: 0, node: `${CONFIG_NODE}#deleted` })
      }
    }
  }

  private validate(body: unknown, root: string): RuleConfig {
    const parsed = ruleSchema.safeParse(body)
    if (!parsed.success) throw new RuleRejectedError(formatIssues(parsed.error.issues, body, root))
    return parsed.data
  }

  private write(rule: RuleConfig): RuleView {
    const stamp = this.clock.now(this.opts.now())
    const value: StoredRule = { rule, updatedBy: this.opts.nodeName }
    this.map.set(rule.id, value, stamp)
    this.pending++
    this.changed()
    return { ...value, updatedAt: stamp.wall }
  }

  private changed(): void {
    this.compiledRules = compileRules(this.ordered().map((v) => v.rule))
    void this.persist()
    for (const listener of this.listeners) listener(this.compiledRules)
  }

  private async persist(): Promise<void> {
    try {
      await this.opts.store.saveRules(this.map.snapshot())
    } catch (err) {
      this.opts.logger.error({ err }, 'could not save the rule set')
    }
  }

  /** Rules of cluster.yml first, in file order; then the others by id. */
  private ordered(): RuleView[] {
    const views = this.map.values().map(({ value, stamp }) => ({ ...value, updatedAt: stamp.wall }))
    const order = this.configOrder
    return views.sort((a, b) => {
      const ia = order.get(a.rule.id) ?? Infinity
      const ib = order.get(b.rule.id) ?? Infinity
      return ia !== ib ? ia - ib : a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : 0
    })
  }
}

function hashRule(rule: RuleConfig): string {
  return createHash('sha256').update(JSON.stringify(rule)).digest('hex').slice(0, 16)
}
