import { describe, expect, it } from 'vitest'
import { renderNginxConfig, type NginxConfigOptions } from '../lib/nginx-config.js'

const base: NginxConfigOptions = { dir: '/tmp/run', listen: { host: '127.0.0.1', port: 8088 }, upstream: { host: '127.0.0.1', port: 9000 } }

function block(config: string, opening: string): string {
  const start = config.indexOf(opening)
  expect(start, opening).toBeGreaterThanOrEqual(0)
  return config.slice(start, config.indexOf('}', start) + 1)
}

describe('renderNginxConfig', () => {
  it('keeps every path inside the run directory and proxies over an upstream keep-alive pool', () => {
    const c = renderNginxConfig(base)
    expect(c).toContain('daemon off;')
    expect(c).toContain('master_process on;')
    expect(c).toContain('worker_processes 1;')
    expect(c).toContain('pid /tmp/run/nginx.pid;')
    expect(c).toContain('error_log /tmp/run/error.log warn;')
    for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) expect(c).toContain(`${t}_temp_path /tmp/run/${t}_temp;`)
    const absolutePaths = [...c.matchAll(/ (\/[^\s;]+)/g)].map((m) => m[1]!)
    for (const p of absolutePaths) expect(p.startsWith('/tmp/run/') || p === '/' || p.startsWith('/categories') || p.startsWith('/items'), p).toBe(true)
    expect(block(c, 'upstream origin {')).toMatch(/server 127\.0\.0\.1:9000;\s+keepalive 64;/)
    expect(c).toContain('listen 127.0.0.1:8088;')
    expect(c).toContain('proxy_http_version 1.1;')
    expect(c).toContain('proxy_set_header Connection "";')
    expect(c).toContain('proxy_set_header Host 127.0.0.1:9000;')
    expect(c).toContain('access_log off;')
    expect(c).not.toContain('limit_req')
  })

  it('sets workers, CPU affinity masks and keep-alive size', () => {
    const c = renderNginxConfig({ ...base, workers: 2, cpuAffinity: [1, 3], upstreamKeepalive: 16 })
    expect(c).toContain('worker_processes 2;')
    expect(c).toContain('worker_cpu_affinity 10 1000;')
    expect(c).toContain('keepalive 16;')
    expect(renderNginxConfig({ ...base, cpuAffinity: 'auto' })).toContain('worker_cpu_affinity auto;')
    expect(() => renderNginxConfig({ ...base, workers: 2, cpuAffinity: [1] })).toThrow(expect.objectContaining({ code: 'MELIPROXY_ERR_BENCH_OPTIONS_INVALID' }))
  })

  it('limits one IP: a geo flag keys the zone, other addresses get an empty key', () => {
    const c = renderNginxConfig({ ...base, limits: [{ id: 'ip-152', match: { ip: '152.152.152.152' }, limit: 1000, per: 'minute' }] })
    expect(block(c, 'geo $r0_ip_152_ip {')).toMatch(/default 0;\s+152\.152\.152\.152 1;/)
    expect(block(c, 'map "$r0_ip_152_ip" $r0_ip_152_key {')).toMatch(/default "";\s+"1" "all";/)
    expect(c).toContain('limit_req_zone $r0_ip_152_key zone=r0_ip_152:10m rate=1000r/m;')
    expect(c).toContain('limit_req zone=r0_ip_152 burst=1000 nodelay;')
    expect(c).toContain('limit_req_status 429;')
  })

  it('limits a path prefix (escaped as a regex) and an IP + path pair', () => {
    const c = renderNginxConfig({
      ...base,
      limits: [
        { id: 'categories', match: { pathPrefix: '/categories/' }, limit: 10000, per: 'minute' },
        { id: 'pair', match: { ip: ['152.152.152.152', '10.0.0.0/8'], pathPrefix: '/items/a.b+c' }, limit: 10, per: 'minute', burst: 0 },
      ],
    })
    expect(block(c, 'map $uri $r0_categories_path {')).toContain('"~^/categories/" 1;')
    expect(c).toContain('limit_req_zone $r0_categories_key zone=r0_categories:10m rate=10000r/m;')
    expect(block(c, 'geo $r1_pair_ip {')).toMatch(/152\.152\.152\.152 1;\s+10\.0\.0\.0\/8 1;/)
    expect(block(c, 'map $uri $r1_pair_path {')).toContain('"~^/items/a\\.b\\+c" 1;')
    expect(block(c, 'map "$r1_pair_ip$r1_pair_path" $r1_pair_key {')).toMatch(/default "";\s+"11" "all";/)
    expect(c).toContain('limit_req_zone $r1_pair_key zone=r1_pair:10m rate=10r/m;')
    expect(c).toContain('limit_req zone=r1_pair;') // nginx refuses burst=0
  })

  it('gives each IP or each path its own counter with `by`, and one shared counter without', () => {
    const c = renderNginxConfig({
      ...base,
      limits: [
        { id: 'per-ip', by: ['ip'], limit: 6000, per: 'minute' },
        { id: 'per-ip-path', by: ['ip', 'path'], match: { pathPrefix: '/items/' }, limit: 5, per: 'second' },
        { id: 'global', limit: 50000, per: 'second' },
      ],
    })
    expect(c).toContain('limit_req_zone $binary_remote_addr zone=r0_per_ip:10m rate=6000r/m;')
    expect(block(c, 'map "$r1_per_ip_path_path" $r1_per_ip_path_key {')).toContain('"1" "$binary_remote_addr$uri";')
    expect(c).toContain('rate=5r/s;')
    expect(block(c, 'map $uri $r2_global_key {')).toContain('default "all";')
    expect(c).toContain('limit_req_zone $r2_global_key zone=r2_global:10m rate=50000r/s;')
  })

  it('refuses rules nginx cannot express or that would inject configuration', () => {
    const bad: Array<NginxConfigOptions['limits']> = [
      [{ id: 'a', limit: 0, per: 'minute' }],
      [{ id: 'a', limit: 1.5, per: 'minute' }],
      [{ id: 'a', limit: 1, per: 'hour' as 'minute' }],
      [{ id: 'a b', limit: 1, per: 'minute' }],
      [{ id: 'a', limit: 1, per: 'minute' }, { id: 'a', limit: 2, per: 'minute' }],
      [{ id: 'a', limit: 1, per: 'minute', match: { ip: '999.1.1.1' } }],
      [{ id: 'a', limit: 1, per: 'minute', match: { ip: '10.0.0.0/40' } }],
      [{ id: 'a', limit: 1, per: 'minute', match: { ip: [] } }],
      [{ id: 'a', limit: 1, per: 'minute', match: { pathPrefix: 'items' } }],
      [{ id: 'a', limit: 1, per: 'minute', match: { pathPrefix: '/x"; } evil {' } }],
      [{ id: 'a', limit: 1, per: 'minute', by: ['method' as 'ip'] }],
      [{ id: 'a', limit: 1, per: 'minute', burst: -1 }],
    ]
    for (const limits of bad) expect(() => renderNginxConfig({ ...base, limits }), JSON.stringify(limits)).toThrow(expect.objectContaining({ code: 'MELIPROXY_ERR_BENCH_OPTIONS_INVALID' }))
    expect(() => renderNginxConfig({ ...base, dir: '/tmp/a dir' })).toThrow(expect.objectContaining({ code: 'MELIPROXY_ERR_BENCH_OPTIONS_INVALID' }))
    expect(() => renderNginxConfig({ ...base, upstream: { host: 'x;y', port: 1 } })).toThrow(expect.objectContaining({ code: 'MELIPROXY_ERR_BENCH_OPTIONS_INVALID' }))
  })
})
