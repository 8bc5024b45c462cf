// How comparisons are made on a shared, noisy machine: the variants run in alternating rounds (A B C A B C ...) so
// drift hits all of them alike, each round also measures the server's CPU time per request from /proc (steadier
// than req/s) and how long it waited for a CPU, and a variant is represented by its median round.
import { runQueueWaitSeconds, totalCpuSeconds } from './process-cpu.js'

export interface CpuMeasured<T> {
  value: T
  /** CPU µs the measured processes spent per completed request; undefined without /proc or without requests. */
  cpuUsPerRequest: number | undefined
  /** CPU seconds they spent during the run. */
  cpuSeconds: number | undefined
  /** Seconds their threads were runnable but waiting for a CPU (other processes had it). */
  waitSeconds: number | undefined
}

/** Runs `run` and measures the CPU time of `pids` (read before and after) per request it completed. */
export async function withCpu<T>(pids: readonly number[], requestsOf: (value: T) => number, run: () => Promise<T>): Promise<CpuMeasured<T>> {
  const before = totalCpuSeconds(pids)
  const waitBefore = runQueueWaitSeconds(pids)
  const value = await run()
  const after = totalCpuSeconds(pids)
  const waitAfter = runQueueWaitSeconds(pids)
  const requests = requestsOf(value)
  const cpuSeconds = before !== undefined && after !== undefined ? after - before : undefined
  return {
    value,
    cpuSeconds,
    waitSeconds: waitBefore !== undefined && waitAfter !== undefined ? waitAfter - waitBefore : undefined,
    cpuUsPerRequest: cpuSeconds !== undefined && requests > 0 ? (cpuSeconds * 1e6) / requests : undefined,
  }
}

/** Runs every variant once per round, in the same order each round. */
export async function alternateRounds<V>(variants: readonly V[], rounds: number, runOne: (variant: V, round: number) => Promise<void>): Promise<void> {
  for (let round = 1; round <= rounds; round++) for (const v of variants) await runOne(v, round)
}

/** The median of numbers (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** The item whose key is the (lower) median: a real round, not an average of two. */
export function medianItem<T>(items: readonly T[], key: (item: T) => number): T {
  if (items.length === 0) throw new RangeError('medianItem of nothing')
  const sorted = [...items].sort((a, b) => key(a) - key(b))
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}

/** Median of the defined values, undefined when there are none. */
export function medianDefined(values: ReadonlyArray<number | undefined>): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined)
  return defined.length === 0 ? undefined : median(defined)
}
