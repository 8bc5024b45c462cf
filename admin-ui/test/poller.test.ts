import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Poller, type VisibilitySource } from '../src/lib/poller.js'

class FakeVisibility implements VisibilitySource {
  hidden = false
  #listeners = new Set<() => void>()
  addEventListener(_type: 'visibilitychange', listener: () => void): void {
    this.#listeners.add(listener)
  }
  removeEventListener(_type: 'visibilitychange', listener: () => void): void {
    this.#listeners.delete(listener)
  }
  set(hidden: boolean): void {
    this.hidden = hidden
    for (const l of this.#listeners) l()
  }
  get listeners(): number {
    return this.#listeners.size
  }
}

describe('poller', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('runs at once, then every interval after the previous run ends', async () => {
    const task = vi.fn(async () => {})
    const poller = new Poller({ intervalMs: 1000, task })
    poller.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(task).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(999)
    expect(task).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(task).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(3000)
    expect(task).toHaveBeenCalledTimes(5)
    poller.stop()
    await vi.advanceTimersByTimeAsync(5000)
    expect(task).toHaveBeenCalledTimes(5)
  })

  it('never overlaps runs of a slow task', async () => {
    let active = 0
    let maxActive = 0
    const task = vi.fn(async () => {
      active++
      maxActive = Math.max(maxActive, active)
      await new Promise((resolve) => setTimeout(resolve, 2500))
      active--
    })
    const poller = new Poller({ intervalMs: 1000, task })
    poller.start()
    await vi.advanceTimersByTimeAsync(10_000)
    poller.stop()
    expect(maxActive).toBe(1)
    expect(task.mock.calls.length).toBe(3)
  })

  it('pauses while the page is hidden and runs as soon as it shows again', async () => {
    const visibility = new FakeVisibility()
    const task = vi.fn(async () => {})
    const poller = new Poller({ intervalMs: 1000, task, visibility })
    poller.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(task).toHaveBeenCalledTimes(1)
    visibility.set(true)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(task).toHaveBeenCalledTimes(1)
    visibility.set(false)
    await vi.advanceTimersByTimeAsync(0)
    expect(task).toHaveBeenCalledTimes(2)
    poller.stop()
    expect(visibility.listeners).toBe(0)
  })

  it('does not run at start while hidden', async () => {
    const visibility = new FakeVisibility()
    visibility.hidden = true
    const task = vi.fn(async () => {})
    new Poller({ intervalMs: 1000, task, visibility }).start()
    await vi.advanceTimersByTimeAsync(5000)
    expect(task).not.toHaveBeenCalled()
  })

  it('refresh aborts the run in flight and starts a new one', async () => {
    const signals: AbortSignal[] = []
    const task = vi.fn(async (signal: AbortSignal) => {
      signals.push(signal)
      await new Promise((resolve) => setTimeout(resolve, 500))
    })
    const poller = new Poller({ intervalMs: 1000, task })
    poller.start()
    await vi.advanceTimersByTimeAsync(100)
    poller.refresh()
    await vi.advanceTimersByTimeAsync(0)
    expect(signals).toHaveLength(2)
    expect(signals[0]!.aborted).toBe(true)
    expect(signals[1]!.aborted).toBe(false)
    poller.stop()
    expect(signals[1]!.aborted).toBe(true)
  })

  it('keeps polling after a task throws', async () => {
    const task = vi.fn(async () => {
      throw new Error('boom')
    })
    const poller = new Poller({ intervalMs: 100, task })
    poller.start()
    await vi.advanceTimersByTimeAsync(350)
    poller.stop()
    expect(task).toHaveBeenCalledTimes(4)
  })

  it('refuses a non-positive interval', () => {
    expect(() => new Poller({ intervalMs: 0, task: async () => {} })).toThrow(RangeError)
  })
})
