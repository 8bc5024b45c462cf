// CPU time used by processes, from /proc (Linux). On a shared, noisy machine req/s moves with the
// neighbours; the CPU time a server spends per request moves much less, so suites report both.
// Everything here returns undefined where /proc is not available.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

let ticksPerSecond: number | undefined

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      ticksPerSecond = 100
    }
  }
  return ticksPerSecond
}

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return text.slice(text.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/** User + system CPU seconds used so far by `pid` (its own threads, not its children). */
export function cpuSeconds(pid: number): number | undefined {
  const f = statFields(pid)
  if (f === undefined) return undefined
  // After the command: state(0) ppid(1) ... utime(11) stime(12).
  return (Number(f[11]) + Number(f[12])) / clockTicks()
}

/** `pid` and its direct children (nginx's master and workers). */
export function processFamily(pid: number): number[] {
  const pids = [pid]
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return pids
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue
    const f = statFields(Number(e))
    if (f !== undefined && Number(f[1]) === pid) pids.push(Number(e))
  }
  return pids
}

/** Total CPU seconds of the given processes; undefined if any cannot be read. */
export function totalCpuSeconds(pids: readonly number[]): number | undefined {
  let sum = 0
  for (const pid of pids) {
    const s = cpuSeconds(pid)
    if (s === undefined) return undefined
    sum += s
  }
  return sum
}

/**
 * Seconds the threads of the given processes spent runnable but waiting for a CPU (the second field of each
 * thread's /proc/<pid>/task/<tid>/schedstat), summed; undefined if any process cannot be read. On a machine shared
 * with other jobs this tells "the server waited for a core" apart from "the server had nothing to do". Threads wait
 * behind other jobs and behind one another (several threads or processes pinned to one core), so the sum may
 * exceed the run time.
 */
export function runQueueWaitSeconds(pids: readonly number[]): number | undefined {
  let ns = 0
  for (const pid of pids) {
    let tids: string[]
    try {
      tids = readdirSync(`/proc/${pid}/task`)
    } catch {
      return undefined
    }
    for (const tid of tids) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1])
      } catch {
        // the thread ended between the listing and the read: its wait is gone with it
      }
    }
  }
  return ns / 1e9
}
