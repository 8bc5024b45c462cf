import { describe, expect, it } from 'vitest'
import { defaultBenchConfigFile, loadBenchConfig } from '../lib/bench-config.js'
import { findExecutable } from '../lib/executables.js'
import { startNginx } from '../lib/nginx.js'
import { ruleToNginx, rulesToNginx } from '../lib/rules-to-nginx.js'

const refused = { code: 'MELIPROXY_ERR_BENCH_OPTIONS_INVALID' }

describe('rulesToNginx', () => {
  it('turns cluster.yml\'s rule shapes into limit_req zones with the same limits', () => {
    expect(
      rulesToNginx([
        { id: 'ip-152', match: { ip: '152.152.152.152' }, limit: 1000, per: 'minute' },
        { id: 'categories', match: { path: '/categories/*' }, limit: 10000, per: 'minute' },
        { id: 'ip-152-items', match: { ip: '152.152.152.152', path: '/items/**' }, limit: 10, per: 'minute', mode: 'enforce' },
        { id: 'per-ip', by: ['ip'], limit: 6000, per: 'minute' },
        { id: 'burst', match: { ip: ['10.0.0.0/8', '::1'] }, by: ['ip', 'path'], limit: 5, per: 'second' },
      ]),
    ).toEqual([
      { id: 'ip-152', limit: 1000, per: 'minute', burst: 1000, match: { ip: ['152.152.152.152'] } },
      { id: 'categories', limit: 10000, per: 'minute', burst: 10000, match: { pathPrefix: '/categories/' } },
      { id: 'ip-152-items', limit: 10, per: 'minute', burst: 10, match: { ip: ['152.152.152.152'], pathPrefix: '/items/' } },
      { id: 'per-ip', limit: 6000, per: 'minute', burst: 6000, by: ['ip'] },
      { id: 'burst', limit: 5, per: 'second', burst: 5, match: { ip: ['10.0.0.0/8', '::1'] }, by: ['ip', 'path'] },
    ])
  })

  it('converts other windows to the same rate per minute, keeping a window\'s worth as burst', () => {
    expect(ruleToNginx({ id: 'r', limit: 10, per: '10s' }, 0)).toEqual({ id: 'r', limit: 60, per: 'minute', burst: 10 })
    expect(ruleToNginx({ id: 'r', limit: 120, per: 'hour' }, 0)).toEqual({ id: 'r', limit: 2, per: 'minute', burst: 120 })
  })

  it('refuses what nginx cannot express, naming the rule and the field', () => {
    expect(() => ruleToNginx({ id: 'r', limit: 7, per: 'hour' }, 3)).toThrow(expect.objectContaining({ ...refused, message: expect.stringContaining('rules[3].per') }))
    expect(() => ruleToNginx({ id: 'r', limit: 7, per: 'minute', match: { method: 'GET' } }, 0)).toThrow(expect.objectContaining({ ...refused, message: expect.stringContaining('rules[0].match.method') }))
    expect(() => ruleToNginx({ id: 'r', limit: 7, per: 'minute', by: ['header:x-api-key'] }, 0)).toThrow(expect.objectContaining({ ...refused, message: expect.stringContaining('rules[0].by') }))
    expect(() => ruleToNginx({ id: 'r', limit: 7, per: 'minute', match: { path: ['/a/*', '/b/*'] } }, 0)).toThrow(expect.objectContaining({ ...refused, message: expect.stringContaining('2 globs') }))
    expect(() => ruleToNginx({ id: 'r', limit: 7, per: 'minute', match: { path: '/items/*/reviews' } }, 0)).toThrow(expect.objectContaining({ ...refused, message: expect.stringContaining('wildcard before its last segment') }))
    expect(() => ruleToNginx({ id: 'r', limit: 7, per: 'minute', mode: 'shadow' }, 0)).toThrow(expect.objectContaining({ ...refused, message: expect.stringContaining('rules[0].mode') }))
  })

  it.skipIf(findExecutable('nginx') === undefined)('gives nginx a configuration it accepts for the bench config\'s rules', async () => {
    const limits = rulesToNginx(loadBenchConfig(defaultBenchConfigFile()).rules)
    const started = await startNginx({ upstream: { host: '127.0.0.1', port: 9 }, limits })
    try {
      expect(started.ok, started.ok ? '' : started.message).toBe(true)
      if (started.ok) for (const l of limits) expect(started.nginx.config).toContain(`zone=r${limits.indexOf(l)}_${l.id.replace(/[^A-Za-z0-9_]/g, '_')}:`)
    } finally {
      if (started.ok) await started.nginx.stop()
    }
  })
})
