// Micro-benchmark of the rules hot path: path normalisation, compiled matching and the full limiter decision,
// for the 4 default rules and for 200 rules, plus the IP tables against node:net BlockList (one list per rule, the
// obvious alternative). Run: npx tsx node/rules/bench-matching.ts [--rounds 7] [--ops 200000]
// Prints ns per request (median of the rounds) and a JSON line at the end. Numbers are only comparable within
// one run on one machine (2 shared, noisy cores).
import { BlockList } from 'node:net'
import { PerformanceObserver } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { WindowCounters } from '../../crdt-counters/index.js'
import { compileRules, type RequestFacts } from './compile.js'
import { IPV4, IPV6, parseIp, parseIpRange } from './ip-address.js'
import { IpMatcher } from './ip-matcher.js'
import { Limiter } from './limiter.js'
import { normalizePath } from './normalize-path.js'
import { bitsetWords } from './rule-bitset.js'
import { rulesSchema } from './schema.js'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, ops: { type: 'string', default: '200000' } } })
const ROUNDS = Number(values.rounds)
const OPS = Number(values.ops)

// Deterministic PRNG (mulberry32) so every run measures the same rules and requests.
let seed = 0x5eed
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
const ipv4 = () => `${1 + Math.floor(random() * 223)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`

const DEFAULT_RULES = [
  { id: 'ip-152', match: { ip: '152.152.152.152' }, limit: 1000, per: 'minute' },
  { id: 'categories', match: { path: '/categories/*' }, limit: 10000, per: 'minute' },
  { id: 'ip-152-items', match: { ip: '152.152.152.152', path: '/items/*' }, limit: 10, per: 'minute' },
  { id: 'per-ip', by: ['ip'], limit: 6000, per: 'minute' },
]

const SECTIONS = ['categories', 'items', 'sites', 'users', 'currencies', 'questions', 'reviews', 'shipping', 'orders', 'visits']
const KNOWN_IPS = Array.from({ length: 150 }, ipv4)

function manyRules(): unknown[] {
  const rules: unknown[] = [...DEFAULT_RULES]
  let i = 0
  const id = () => `r${i++}`
  const big = 1_000_000_000
  while (rules.length < 60) rules.push({ id: id(), match: { ip: pick(KNOWN_IPS) }, limit: big, per: 'minute' })
  while (rules.length < 80) {
    const prefix = pick([8, 12, 16, 20, 24])
    rules.push({ id: id(), match: { ip: `${pick(KNOWN_IPS)}/${prefix}` }, limit: big, per: 'minute' })
  }
  while (rules.length < 85) rules.push({ id: id(), match: { ip: `2001:db8:${Math.floor(random() * 65536).toString(16)}::/48` }, limit: big, per: 'minute' })
  while (rules.length < 145) {
    const section = pick(SECTIONS)
    const glob = pick([`/${section}/*`, `/${section}/**`, `/${section}/*/details`, `/${section}/MLA${Math.floor(random() * 1000)}`, `/**/${section}`])
    rules.push({ id: id(), match: { path: glob }, limit: big, per: 'minute' })
  }
  while (rules.length < 165) {
    rules.push({ id: id(), match: { method: pick(['POST', 'PUT', 'DELETE', ['POST', 'PATCH']]), header: { 'x-client': `app-${Math.floor(random() * 20)}*` } }, limit: big, per: 'minute' })
  }
  while (rules.length < 180) rules.push({ id: id(), match: { ip: pick(KNOWN_IPS), path: `/${pick(SECTIONS)}/*` }, limit: big, per: 'minute' })
  while (rules.length < 200) {
    rules.push({ id: id(), match: { path: `/${pick(SECTIONS)}/**` }, by: pick([['ip'], ['ip', 'path'], ['header:x-client']]), limit: big, per: 'minute' })
  }
  return rules
}

class Facts implements RequestFacts {
  constructor(
    public ip: string,
    public path: string,
    public method: string,
    private readonly headers: Map<string, string>,
  ) {}
  header(name: string): string | undefined {
    return this.headers.get(name)
  }
}

function requests(count: number): { facts: Facts[]; rawPaths: string[] } {
  const facts: Facts[] = []
  const rawPaths: string[] = []
  for (let i = 0; i < count; i++) {
    const r = random()
    const ip = r < 0.2 ? '152.152.152.152' : r < 0.5 ? pick(KNOWN_IPS) : ipv4()
    const section = pick(SECTIONS)
    const raw = pick([`/${section}/MLA${Math.floor(random() * 100000)}`, `/${section}/MLA${Math.floor(random() * 1000)}/details`, `/${section}`, `/sites/MLA/search`])
    const headers = new Map<string, string>()
    if (random() < 0.3) headers.set('x-client', `app-${Math.floor(random() * 30)}-ios`)
    rawPaths.push(raw)
    facts.push(new Facts(ip, normalizePath(raw), random() < 0.9 ? 'GET' : 'POST', headers))
  }
  return { facts, rawPaths }
}

let sink = 0
function measure(name: string, body: (i: number) => number): number {
  return measureWith(OPS, name, body)
}

function measureWith(ops: number, name: string, body: (i: number) => number): number {
  for (let i = 0; i < Math.min(ops, 50_000); i++) sink += body(i) // warm up: let the JIT settle
  const samples: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < ops; i++) sink += body(i)
    samples.push(Number(process.hrtime.bigint() - start) / ops)
  }
  samples.sort((a, b) => a - b)
  const median = samples[Math.floor(samples.length / 2)]!
  console.log(`${name.padEnd(58)} ${median.toFixed(1).padStart(8)} ns/request  (min ${samples[0]!.toFixed(1)}, max ${samples[samples.length - 1]!.toFixed(1)})`)
  return median
}

// Garbage collections observed while running `body` `ops` times: 0 means the loop allocates (next to) nothing.
let gcEvents = 0
new PerformanceObserver((list) => {
  gcEvents += list.getEntries().length
}).observe({ entryTypes: ['gc'] })
async function gcDuring(name: string, ops: number, body: (i: number) => number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 20)) // deliver pending gc entries first
  const before = gcEvents
  for (let i = 0; i < ops; i++) sink += body(i)
  await new Promise((resolve) => setTimeout(resolve, 20))
  const count = gcEvents - before
  console.log(`${name.padEnd(58)} ${String(count).padStart(8)} GCs in ${ops} calls`)
  return count
}

const results: Record<string, number> = {}
const { facts, rawPaths } = requests(4096)
const mask = facts.length - 1

const encodedPaths = rawPaths.map((p, i) => (i % 2 === 0 ? p.replace('items', 'it%65ms') : p.replace(/^\/(\w+)/, '/x/../$1')))
results.normalizeNormal = measure('normalizePath, already normal (fast path)', (i) => normalizePath(rawPaths[i & mask]!).length)
results.normalizeRebuilt = measure('normalizePath, with %-escapes or dot segments (rebuilt)', (i) => normalizePath(encodedPaths[i & mask]!).length)
results.normalizeNormalGcs = await gcDuring('normalizePath, already normal: allocation check', 2_000_000, (i) => normalizePath(rawPaths[i & mask]!).length)

for (const [label, rules] of [
  ['4 default rules', DEFAULT_RULES],
  ['200 rules', manyRules()],
] as const) {
  const validated = rulesSchema.parse(rules)
  const compiled = compileRules(validated)
  const key = label.startsWith('4') ? 'default4' : 'rules200'
  results[`${key}Match`] = measure(`match, ${label}`, (i) => compiled.match(facts[i & mask]!))
  results[`${key}MatchGcs`] = await gcDuring(`match, ${label}: allocation check`, 2_000_000, (i) => compiled.match(facts[i & mask]!))
  results[`${key}MatchKeys`] = measure(`match + counter keys, ${label}`, (i) => {
    const f = facts[i & mask]!
    const n = compiled.match(f)
    let len = 0
    for (let k = 0; k < n; k++) len += compiled.counterKey(compiled.rules[compiled.matched[k]!]!, f).length
    return len
  })
  const limiter = new Limiter(new WindowCounters({ self: 'bench' }))
  limiter.setRules(compiled)
  const t0 = 1_700_000_040_000
  results[`${key}Decide`] = measure(`Limiter.decide (crdt-counters), ${label}`, (i) => (limiter.decide(facts[i & mask]!, t0 + (i >>> 6)).allowed ? 1 : 0))

  let matchedPerRequest = 0
  for (const f of facts) matchedPerRequest += compiled.match(f)
  console.log(`  (${label}: ${(matchedPerRequest / facts.length).toFixed(2)} rules match per request on average)`)
}

// IP conditions alone: the compiled tables (IpMatcher) against one node:net BlockList per rule with an ip condition.
{
  const validated = rulesSchema.parse(manyRules())
  const words = bitsetWords(validated.length)
  const matcher = new IpMatcher(words)
  const lists: BlockList[] = []
  validated.forEach((r, index) => {
    const ips = r.match?.ip
    if (ips === undefined) return
    const list = new BlockList()
    for (const text of Array.isArray(ips) ? ips : [ips]) {
      matcher.add(parseIpRange(text)!, index)
      const [net, bits] = text.split('/')
      const family = net!.includes(':') ? 'ipv6' : 'ipv4'
      list.addSubnet(net!, bits === undefined ? (family === 'ipv4' ? 32 : 128) : Number(bits), family)
    }
    lists.push(list)
  })
  console.log(`IP conditions of the 200-rule set (${lists.length} rules with addresses or CIDRs):`)
  const out = new Uint32Array(words)
  const scratch = new Uint32Array(4)
  results.ipTables = measure('  parseIp + IpMatcher tables', (i) => {
    out.fill(0)
    const family = parseIp(facts[i & mask]!.ip, scratch)
    if (family === IPV4) matcher.matchV4(scratch[0]!, out)
    else if (family === IPV6) matcher.matchV6(scratch, out)
    return out[0]!
  })
  const blockListOps = Math.max(1, Math.floor(OPS / 100))
  results.ipBlockList = measureWith(blockListOps, '  node:net BlockList.check, one list per rule', (i) => {
    const ip = facts[i & mask]!.ip
    let hits = 0
    for (let k = 0; k < lists.length; k++) if (lists[k]!.check(ip, 'ipv4')) hits++
    return hits
  })
  console.log(`  BlockList / tables: ${(results.ipBlockList / results.ipTables).toFixed(0)}×`)
}

console.log(JSON.stringify({ bench: 'rules-matching', unit: 'ns/request', rounds: ROUNDS, ops: OPS, results, sink: sink % 7 }))
