// Pins processes to CPUs with taskset (util-linux) so a measured server and its load generator do not
// fight over one core. Everything here degrades to "not pinned" when taskset is missing or refuses.
import { execFile } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { findExecutable } from './executables.js'

export function tasksetPath(): string | undefined {
  return findExecutable('taskset')
}

/** Pins every thread of `pid` to `cpus` (a taskset list such as "1" or "0,2-3"). Resolves false if it could not. */
export function pinProcess(pid: number, cpus: string): Promise<boolean> {
  const taskset = tasksetPath()
  if (taskset === undefined) return Promise.resolve(false)
  return new Promise((resolve) => {
    execFile(taskset, ['-a', '-p', '-c', cpus, String(pid)], (err) => resolve(err === null))
  })
}

/** `[command, ...args]` prefixed with `taskset -c cpus` when cpus is given and taskset exists. */
export function withCpus(command: string, args: readonly string[], cpus: string | undefined): [string, string[]] {
  const taskset = cpus === undefined ? undefined : tasksetPath()
  if (taskset === undefined || cpus === undefined) return [command, [...args]]
  return [taskset, ['-c', cpus, command, ...args]]
}

/**
 * The usual split on a small machine: the measured server on the last CPU, everything else (load
 * generator, origin) on the others. Undefined on a single CPU, where pinning cannot separate anything.
 */
export function defaultCpuSplit(cpuCount: number = availableParallelism()): { server: string; rest: string } | undefined {
  if (cpuCount < 2) return undefined
  return { server: String(cpuCount - 1), rest: cpuCount === 2 ? '0' : `0-${cpuCount - 2}` }
}
