// admin.openReads on a one-node cluster (child process; needs `npm run build`): reads need no token, changes still do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestCluster } from '../../testing/test-cluster.js'

let cluster: TestCluster

beforeAll(async () => {
  cluster = await TestCluster.start({ nodes: 1, admin: { openReads: true } })
  await cluster.waitReady()
})

afterAll(async () => {
  await cluster?.close()
})

describe('admin API with admin.openReads', () => {
  it('answers reads without a token', async () => {
    const admin = cluster.nodes[0]!.admin
    const view = await fetch(`${admin}/api/v1/cluster`)
    expect(view.status).toBe(200)
    const body = (await view.json()) as { name: string; self: string; members: Array<{ id: string; state: string; missing: boolean; version: string }> }
    expect(body).toMatchObject({ name: 'test', self: 'n1' })
    expect(body.members).toEqual([expect.objectContaining({ id: 'n1', state: 'self', missing: false, version: '0.1.0' })])
    for (const path of ['/api/v1/stats', '/api/v1/stats/top-limited', '/api/v1/rules', '/api/v1/rules/usage', '/metrics']) {
      expect((await fetch(admin + path)).status, path).toBe(200)
    }
    // No uiOrigin configured: no cross-origin reads, whatever the origin.
    const cross = await fetch(`${admin}/api/v1/rules`, { headers: { origin: 'http://127.0.0.1:5173' } })
    expect(cross.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('still needs the token for changes', async () => {
    const admin = cluster.nodes[0]!.admin
    const rule = JSON.stringify({ id: 'r', limit: 5, per: 'minute' })
    const refused = await fetch(`${admin}/api/v1/rules`, { method: 'POST', body: rule, headers: { 'content-type': 'application/json' } })
    expect(refused.status).toBe(401)
    expect(((await (await fetch(`${admin}/api/v1/rules`)).json()) as { rules: unknown[] }).rules).toEqual([])
    const accepted = await fetch(`${admin}/api/v1/rules`, {
      method: 'POST',
      body: rule,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${cluster.token}` },
    })
    expect(accepted.status).toBe(201)
    const wrongMethod = await fetch(`${admin}/api/v1/rules/r`)
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get('allow')).toBe('PUT, DELETE, OPTIONS')
  })
})
