import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { defaultCpuSplit, pinProcess, tasksetPath, withCpus } from '../lib/cpu-pinning.js'
import { startOriginProcess } from '../lib/origin-process.js'

describe('cpu pinning', () => {
  it('splits CPUs: the measured server gets the last one, the rest share the others', () => {
    expect(defaultCpuSplit(1)).toBeUndefined()
    expect(defaultCpuSplit(2)).toEqual({ server: '1', rest: '0' })
    expect(defaultCpuSplit(8)).toEqual({ server: '7', rest: '0-6' })
  })

  it('prefixes a command with taskset only when asked and available', () => {
    expect(withCpus('/bin/x', ['a'], undefined)).toEqual(['/bin/x', ['a']])
    const t = tasksetPath()
    expect(withCpus('/bin/x', ['a'], '0')).toEqual(t === undefined ? ['/bin/x', ['a']] : [t, ['-c', '0', '/bin/x', 'a']])
  })
})

describe('startOriginProcess', () => {
  it('runs the origin in its own process, counts what it served, pins it, and stops it', async () => {
    const origin = await startOriginProcess()
    try {
      expect(origin.url).toBe(`http://127.0.0.1:${origin.port}`)
      for (let i = 0; i < 3; i++) expect((await fetch(`${origin.url}/items/MLA${i}`)).status).toBe(200)
      expect(await origin.requestsServed()).toBe(3)
      const taskset = tasksetPath()
      if (taskset !== undefined) {
        expect(await pinProcess(origin.pid, '0')).toBe(true)
        expect(execFileSync(taskset, ['-c', '-p', String(origin.pid)], { encoding: 'utf8' })).toMatch(/list: 0\s*$/)
      } else expect(await pinProcess(origin.pid, '0')).toBe(false)
    } finally {
      await origin.stop()
      await origin.stop()
    }
    await expect(fetch(`${origin.url}/items/MLA1`)).rejects.toThrow()
  })
})
