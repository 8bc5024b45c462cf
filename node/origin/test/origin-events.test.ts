import type { HttpRequest } from '@trufflesuite/uws-js-unofficial'
import { describe, expect, it } from 'vitest'
import { EVENT_LIMITS, OriginEventRecorder } from '../origin-events.js'

function fakeRequest(headers: Record<string, string> = {}): HttpRequest {
  return { getHeader: (name: string) => headers[name] ?? '' } as unknown as HttpRequest
}

describe('OriginEventRecorder', () => {
  it('caps the number of distinct paths and the length of a path key', () => {
    const rec = new OriginEventRecorder()
    for (let i = 0; i < EVENT_LIMITS.maxDistinctPaths + 50; i++) rec.record(fakeRequest(), 'GET', `/p/${i}`)
    const snap = rec.snapshot(0)
    expect(Object.keys(snap.requests)).toHaveLength(EVENT_LIMITS.maxDistinctPaths + 1)
    expect(snap.requests[EVENT_LIMITS.overflowPathKey]).toBe(50)
    expect(snap.total).toBe(EVENT_LIMITS.maxDistinctPaths + 50)

    const long = new OriginEventRecorder()
    long.record(fakeRequest(), 'GET', `/${'x'.repeat(5000)}`)
    expect(Object.keys(long.snapshot().requests)[0]).toHaveLength(EVENT_LIMITS.maxPathKeyLength + 1)
  })

  it('waitFor resolves when the condition holds and rejects with a code after the timeout', async () => {
    const rec = new OriginEventRecorder()
    const waiting = rec.waitFor((s) => s.aborted === 2, 2000)
    rec.recordAborted('/a')
    setTimeout(() => rec.recordAborted('/a'), 20)
    expect((await waiting).abortedByPath).toEqual({ '/a': 2 })
    await expect(rec.waitFor((s) => s.total > 0, 30)).rejects.toMatchObject({ code: 'MELIPROXY_ERR_ORIGIN_WAIT_TIMEOUT' })
  })
})
