// Drives fixtures/gossip-node.ts in a child process: JSON lines out, JSON commands in.

import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { GossipInit, GossipStats, MemberView } from '../index.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/gossip-node.ts', import.meta.url))

export interface Dump { values: Record<string, number>; members: MemberView[]; ready: boolean; stats: GossipStats }
type Line = { event: string } & Record<string, unknown>

export class ChildNode {
  readonly lines: Line[] = []
  private readonly child: ChildProcess
  private waiters: Array<() => void> = []
  exited = false

  constructor(init: Omit<GossipInit, 'channels' | 'logger'>) {
    this.child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify(init)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    let buffered = ''
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk
      let newline: number
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const text = buffered.slice(0, newline)
        buffered = buffered.slice(newline + 1)
        if (text.startsWith('{')) this.lines.push(JSON.parse(text) as Line)
      }
      this.notify()
    })
    this.child.once('exit', () => {
      this.exited = true
      this.notify()
    })
  }

  get pid(): number {
    return this.child.pid as number
  }

  /** The first line (after `from`) matching predicate, waiting up to timeoutMs. */
  async waitLine(predicate: (line: Line) => boolean, timeoutMs: number, what: string, from = 0): Promise<Line> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.lines.slice(from).find(predicate)
      if (found !== undefined) return found
      if (this.exited) throw new Error(`child exited while waiting for ${what}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  send(command: object): void {
    this.child.stdin?.write(JSON.stringify(command) + '\n')
  }

  async dump(): Promise<Dump> {
    const from = this.lines.length
    this.send({ op: 'dump' })
    return (await this.waitLine((l) => l.event === 'dump', 5000, 'dump', from)) as unknown as Dump
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal)
  }

  /** SIGKILL and wait for the exit (cleanup; safe to call twice). */
  async kill(): Promise<void> {
    if (this.exited) return
    this.child.kill('SIGKILL')
    await new Promise<void>((resolve) => {
      if (this.exited) resolve()
      else this.child.once('exit', () => resolve())
    })
  }

  private notify(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }
}
