// Benchmark of the proxy's upstream client: the same meliproxy node with upstream.client undici, then fast, against
// nginx proxying the same origin, in alternating rounds on one machine.
//
//   core 0: the origin (node/origin) and wrk          core 1: the proxy under test (meliproxy node, or nginx with
//                                                               one worker), alone
//
// Every round runs `wrk -t1 -c100 -d10s --latency` on /categories/MLA97994 against each variant in turn (the order
// rotates from round to round), and reads the CPU time the proxy process used from /proc/<pid>/stat before and
// after: on a shared, noisy machine req/s moves with the neighbours, CPU-µs per request much less. The report gives
// each variant's median and every round, and ratios to nginx.
//
//   npm run build && npx tsx node/proxy/bench-upstream.ts [--rounds 3] [--duration 10] [--connections 100]
//       [--variants undici,fast,nginx] [--pipelining 4] [--fast-connections 8] [--json FILE]
//   npx tsx node/proxy/bench-upstream.ts --profile fast [--duration 10]   one run under --cpu-prof, top functions
//   ... --baseline node_modules/.cache/dist-base --variants fast-base,fast   A/B against a copy of an earlier dist/
//       (kept under node_modules/ so the copy still resolves its packages); add --concurrent to load both at the
//       same time, so both see the same neighbours (CPU-µs per request is then the figure to compare)
//   ... --variants fast:8:4,fast:4:8,fast:16:2       fast client settings side by side (connections:pipelining)
//
// The proxy runs from dist/ (what production runs): build first. Nothing leaves loopback.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../' : '../../', import.meta.url))
const PATH = '/categories/MLA97994'
const PROXY_CPU = '1'
const LOAD_CPU = '0'

interface Sample {
  variant: string
  round: number
  requests: number
  rps: number
  p50ms: number
  p99ms: number
  cpuMicrosPerRequest: number
  non2xx: number
  socketErrors: number
}

interface Running {
  name: string
  url: string
  /** Processes whose CPU time is the proxy's (nginx: master and workers). */
  pids: () => number[]
  stop: () => Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100

/** utime + stime of a process, in microseconds. */
function cpuMicros(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return ((Number(f[11]) + Number(f[12])) / CLOCK_TICKS) * 1e6
}

function childrenOf(pid: number): number[] {
  const out: number[] = []
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      const text = readFileSync(`/proc/${e}/stat`, 'utf8')
      if (Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(e))
    } catch {
      // gone meanwhile
    }
  }
  return out
}

async function waitForHttp(url: string, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const res = await fetch(url)
      await res.arrayBuffer()
      if (res.status === 200) return
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not answer 200 at ${url} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

function spawnPinned(cpu: string, command: string, args: string[], dir: string, name: string): ChildProcess {
  const child = spawn('taskset', ['-c', cpu, command, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } })
  const log: string[] = []
  child.stdout!.on('data', (d: Buffer) => log.push(d.toString()))
  child.stderr!.on('data', (d: Buffer) => log.push(d.toString()))
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal === null) process.stderr.write(`${name} exited with ${code}:\n${log.join('').slice(-2000)}\n`)
  })
  writeFileSync(join(dir, `${name}.cmd`), `taskset -c ${cpu} ${command} ${args.join(' ')}\n`)
  return child
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    child.kill('SIGINT')
  })
}

async function startOrigin(dir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort()
  const child = spawnPinned(LOAD_CPU, process.execPath, [join(ROOT, 'dist/node/origin/main.js'), '--listen', `127.0.0.1:${port}`], dir, 'origin')
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(`${url}${PATH}`, 'the origin')
  return { url, stop: () => stopChild(child) }
}

async function startMeliproxy(dir: string, name: string, origin: string, upstream: Record<string, unknown>, nodeFlags: string[] = [], cli = join(ROOT, 'bin/meliproxy.js')): Promise<Running> {
  const [http, admin, p2p] = [await freePort(), await freePort(), await freePort()]
  const configFile = join(dir, `${name}.yml`)
  // JSON is YAML: one node, no rules (the benchmark measures proxying, not limiting), statistics on as in production.
  const config = {
    cluster: { name: 'bench', gossip: { syncTimeoutMs: 0 } },
    upstream: { url: origin, ...upstream },
    nodes: [{ id: 'n1', http: `127.0.0.1:${http}`, admin: `127.0.0.1:${admin}`, p2p: `127.0.0.1:${p2p}`, dataDir: join(dir, `${name}-data`) }],
    admin: { token: 'bench-admin-token-0123456789' },
  }
  writeFileSync(configFile, JSON.stringify(config, null, 2))
  const child = spawnPinned(PROXY_CPU, process.execPath, [...nodeFlags, cli, 'node', 'n1', '--config', configFile], dir, name)
  const url = `http://127.0.0.1:${http}`
  await waitForHttp(`${url}${PATH}`, name)
  return { name, url, pids: () => [child.pid!], stop: () => stopChild(child) }
}

async function startNginx(dir: string, origin: string): Promise<Running> {
  const port = await freePort()
  const ndir = join(dir, 'nginx')
  rmSync(ndir, { recursive: true, force: true })
  execFileSync('mkdir', ['-p', ndir])
  chmodSync(dir, 0o755)
  chmodSync(ndir, 0o755)
  const up = new URL(origin)
  // One worker pinned to the proxy's core, keep-alive to the origin, the same upstream headers meliproxy sets.
  const conf = `daemon off;
master_process on;
worker_processes 1;
worker_cpu_affinity 1${'0'.repeat(Number(PROXY_CPU))};
pid ${ndir}/nginx.pid;
error_log ${ndir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${ndir}/client_body_temp;
  proxy_temp_path ${ndir}/proxy_temp;
  fastcgi_temp_path ${ndir}/fastcgi_temp;
  uwsgi_temp_path ${ndir}/uwsgi_temp;
  scgi_temp_path ${ndir}/scgi_temp;
  keepalive_requests 1000000;
  upstream origin { server ${up.host}; keepalive 64; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host ${up.host};
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Request-Id $request_id;
    }
  }
}
`
  const confFile = join(ndir, 'nginx.conf')
  writeFileSync(confFile, conf)
  const nginx = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx'
  const child = spawnPinned(PROXY_CPU, nginx, ['-e', join(ndir, 'error.log'), '-p', ndir, '-c', confFile], dir, 'nginx')
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(`${url}${PATH}`, 'nginx')
  return { name: 'nginx', url, pids: () => [child.pid!, ...childrenOf(child.pid!)], stop: () => stopChild(child) }
}

/** `wrk --latency` summary → numbers. */
function parseWrk(out: string): Omit<Sample, 'variant' | 'round' | 'cpuMicrosPerRequest'> {
  const ms = (t: string): number => {
    const m = /^([\d.]+)(us|ms|s)$/.exec(t)
    if (!m) throw new Error(`wrk: not a duration: ${t}`)
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1)
  }
  const requests = Number(/(\d+) requests in/.exec(out)?.[1])
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1])
  const p50 = /\s50%\s+(\S+)/.exec(out)?.[1]
  const p99 = /\s99%\s+(\S+)/.exec(out)?.[1]
  if (!Number.isFinite(requests) || !Number.isFinite(rps) || p50 === undefined || p99 === undefined) throw new Error(`wrk output not understood:\n${out}`)
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  return {
    requests,
    rps,
    p50ms: ms(p50),
    p99ms: ms(p99),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    socketErrors: errs ? Number(errs[1]) + Number(errs[2]) + Number(errs[3]) + Number(errs[4]) : 0,
  }
}

function wrk(url: string, durationSec: number, connections: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const args = ['-c', LOAD_CPU, 'wrk', '-t1', `-c${connections}`, `-d${durationSec}s`, '--latency', `${url}${PATH}`]
    const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited with ${code}: ${out}`))))
  })
}

async function measure(target: Running, round: number, durationSec: number, connections: number): Promise<Sample> {
  const before = target.pids().reduce((sum, pid) => sum + cpuMicros(pid), 0)
  const out = await wrk(target.url, durationSec, connections)
  const pids = target.pids()
  const after = pids.reduce((sum, pid) => sum + cpuMicros(pid), 0)
  const w = parseWrk(out)
  return { variant: target.name, round, ...w, cpuMicrosPerRequest: (after - before) / w.requests }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Top functions by self time in a V8 .cpuprofile. */
function topOfProfile(file: string, n: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }>
    samples: number[]
  }
  const total = profile.samples.length
  const byKey = new Map<string, number>()
  for (const node of profile.nodes) {
    const cf = node.callFrame
    const where = cf.url === '' ? '' : ` ${cf.url.replace(/^file:\/\//, '').replace(ROOT, '')}:${cf.lineNumber + 1}`
    const key = `${cf.functionName || '(anonymous)'}${where}`
    byKey.set(key, (byKey.get(key) ?? 0) + (node.hitCount ?? 0))
  }
  return [...byKey.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
    .join('\n')
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '100' },
      variants: { type: 'string', default: 'undici,fast,nginx' },
      pipelining: { type: 'string', default: '4' },
      'fast-connections': { type: 'string', default: '8' },
      profile: { type: 'string' },
      json: { type: 'string' },
      baseline: { type: 'string' },
      concurrent: { type: 'boolean', default: false },
    },
    strict: true,
  })
  const built = join(ROOT, 'dist/node/proxy/fast-upstream.js')
  if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` first')
  if (statSync(built).mtimeMs < statSync(join(ROOT, 'node/proxy/fast-upstream.ts')).mtimeMs) process.stderr.write('warning: dist/ is older than node/proxy/: run `npm run build`\n')

  const durationSec = Number(values.duration)
  const connections = Number(values.connections)
  const fastSettings = { client: 'fast', pipelining: Number(values.pipelining), fastConnections: Number(values['fast-connections']) }
  const dir = mkdtempSync(join(tmpdir(), 'meliproxy-bench-upstream-'))
  const origin = await startOrigin(dir)
  const running: Running[] = []
  try {
    if (values.profile !== undefined) {
      const profDir = join(dir, 'profile')
      const settings = values.profile === 'undici' ? { client: 'undici' } : fastSettings
      const target = await startMeliproxy(dir, values.profile, origin.url, settings, ['--cpu-prof', `--cpu-prof-dir=${profDir}`])
      running.push(target)
      await wrk(target.url, 2, connections)
      const sample = await measure(target, 1, durationSec, connections)
      await target.stop()
      running.pop()
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))
      if (file === undefined) throw new Error('no .cpuprofile was written')
      // Kept outside the run's directory (removed below), to open in Chrome DevTools.
      const kept = join(tmpdir(), `meliproxy-${values.profile}-${Date.now()}.cpuprofile`)
      copyFileSync(join(profDir, file), kept)
      process.stdout.write(`${JSON.stringify(sample)}\nprofile: ${kept}\n${topOfProfile(kept, 30)}\n`)
      return
    }

    for (const v of values.variants.split(',')) {
      if (v === 'nginx') running.push(await startNginx(dir, origin.url))
      else if (v === 'undici') running.push(await startMeliproxy(dir, 'undici', origin.url, { client: 'undici' }))
      else if (v === 'fast') running.push(await startMeliproxy(dir, 'fast', origin.url, fastSettings))
      else if (v.startsWith('fast:')) {
        // fast:CONNECTIONS:PIPELINING, to compare settings in one sitting.
        const [, c, p] = v.split(':')
        running.push(await startMeliproxy(dir, v, origin.url, { client: 'fast', fastConnections: Number(c), pipelining: Number(p) }))
      }
      else if (v.endsWith('-base') && values.baseline !== undefined) {
        // The same node built from another tree (a copy of an earlier dist/), to compare a change in one sitting.
        const cli = join(values.baseline, 'node/cli.js')
        running.push(await startMeliproxy(dir, v, origin.url, v === 'undici-base' ? { client: 'undici' } : fastSettings, [], cli))
      } else throw new Error(`unknown variant ${v} (undici, fast, nginx; fast-base and undici-base with --baseline DIST_COPY)`)
    }
    // Warm-up: JIT, connection pools, the origin's caches.
    for (const t of running) await wrk(t.url, 2, connections)
    const samples: Sample[] = []
    const rounds = Number(values.rounds)
    for (let r = 1; r <= rounds; r++) {
      // --concurrent: every variant loaded at the same time, so each sees the same neighbours (an A/B of two builds on
      // a noisy machine); otherwise one after another, the order rotating.
      const batch = values.concurrent
        ? await Promise.all(running.map((t) => measure(t, r, durationSec, connections)))
        : []
      for (let i = 0; i < running.length; i++) {
        const t = running[(i + r - 1) % running.length]!
        const s = values.concurrent ? batch.find((b) => b.variant === t.name)! : await measure(t, r, durationSec, connections)
        samples.push(s)
        process.stdout.write(
          `round ${r} ${t.name.padEnd(9)} ${s.rps.toFixed(0).padStart(7)} req/s  p50 ${s.p50ms.toFixed(2)} ms  p99 ${s.p99ms.toFixed(2)} ms  ${s.cpuMicrosPerRequest.toFixed(1)} CPU-µs/req` +
            `${s.non2xx + s.socketErrors > 0 ? `  (non-2xx ${s.non2xx}, socket errors ${s.socketErrors})` : ''}\n`,
        )
      }
    }
    const summary = running.map((t) => {
      const mine = samples.filter((s) => s.variant === t.name)
      return {
        variant: t.name,
        rps: median(mine.map((s) => s.rps)),
        p99ms: median(mine.map((s) => s.p99ms)),
        cpuMicrosPerRequest: median(mine.map((s) => s.cpuMicrosPerRequest)),
      }
    })
    const nginx = summary.find((s) => s.variant === 'nginx')
    process.stdout.write(`\nmedian of ${rounds} rounds, wrk -t1 -c${connections} -d${durationSec}s ${PATH}, proxy on CPU ${PROXY_CPU}, origin + wrk on CPU ${LOAD_CPU}\n`)
    process.stdout.write('variant    req/s     p99 ms   CPU-µs/req   req/s vs nginx   CPU/req vs nginx\n')
    for (const s of summary) {
      const vs = nginx ? `${(s.rps / nginx.rps).toFixed(2).padStart(14)}   ${(s.cpuMicrosPerRequest / nginx.cpuMicrosPerRequest).toFixed(2).padStart(16)}` : ''
      process.stdout.write(`${s.variant.padEnd(9)} ${s.rps.toFixed(0).padStart(7)}   ${s.p99ms.toFixed(2).padStart(7)}   ${s.cpuMicrosPerRequest.toFixed(1).padStart(10)}   ${vs}\n`)
    }
    if (values.json !== undefined) writeFileSync(values.json, JSON.stringify({ settings: { durationSec, connections, rounds, fast: fastSettings }, samples, summary }, null, 2))
  } finally {
    for (const t of running) await t.stop()
    await origin.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exitCode = 1
})
