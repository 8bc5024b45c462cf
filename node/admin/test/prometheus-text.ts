// A strict parser of the Prometheus text exposition format (version 0.0.4), for tests: it throws on anything a
// Prometheus server would reject or that breaks the format's rules (unknown family, duplicate series, HELP/TYPE
// after samples, non-cumulative histogram buckets, a +Inf bucket that differs from _count, negative counters).

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Family {
  name: string
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'
  help: string
  samples: Sample[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>()
  const seenSeries = new Set<string>()
  const lines = text.split('\n')
  if (lines[lines.length - 1] !== '') throw new Error('the exposition does not end with a newline')
  lines.forEach((line, i) => {
    const at = `line ${i + 1}: ${JSON.stringify(line.slice(0, 120))}`
    if (line === '') return
    if (line.startsWith('# ')) {
      const [, keyword, name, ...rest] = line.split(' ')
      if (keyword !== 'HELP' && keyword !== 'TYPE') return
      if (name === undefined || !METRIC_NAME.test(name)) throw new Error(`${at}: bad metric name`)
      let family = families.get(name)
      if (family === undefined) {
        family = { name, type: 'untyped', help: '', samples: [] }
        families.set(name, family)
      }
      if (family.samples.length > 0) throw new Error(`${at}: ${keyword} after the family's samples`)
      if (keyword === 'TYPE') {
        const type = rest.join(' ')
        if (!TYPES.has(type)) throw new Error(`${at}: unknown type ${type}`)
        family.type = type as Family['type']
      } else family.help = rest.join(' ')
      return
    }
    if (line.startsWith('#')) return
    const sample = parseSample(line, at)
    const family = familyOf(families, sample.name)
    if (family === undefined) throw new Error(`${at}: sample of no declared family`)
    const key = `${sample.name}{${Object.entries(sample.labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}}`
    if (seenSeries.has(key)) throw new Error(`${at}: duplicate series ${key}`)
    seenSeries.add(key)
    if (family.type === 'counter' && !(sample.value >= 0)) throw new Error(`${at}: negative or NaN counter`)
    family.samples.push(sample)
  })
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family)
  return families
}

function familyOf(families: Map<string, Family>, sampleName: string): Family | undefined {
  const direct = families.get(sampleName)
  if (direct !== undefined) return direct
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue
    const f = families.get(sampleName.slice(0, -suffix.length))
    if (f !== undefined && (f.type === 'histogram' || f.type === 'summary')) return f
  }
  return undefined
}

function parseSample(line: string, at: string): Sample {
  let i = 0
  while (i < line.length && line[i] !== '{' && line[i] !== ' ') i++
  const name = line.slice(0, i)
  if (!METRIC_NAME.test(name)) throw new Error(`${at}: bad metric name`)
  const labels: Record<string, string> = {}
  if (line[i] === '{') {
    i++
    while (line[i] !== '}') {
      let j = i
      while (j < line.length && line[j] !== '=') j++
      const labelName = line.slice(i, j)
      if (!LABEL_NAME.test(labelName)) throw new Error(`${at}: bad label name ${labelName}`)
      if (line[j + 1] !== '"') throw new Error(`${at}: label value not quoted`)
      let k = j + 2
      let value = ''
      for (;;) {
        const c = line[k]
        if (c === undefined) throw new Error(`${at}: unterminated label value`)
        if (c === '"') break
        if (c === '\\') {
          const e = line[k + 1]
          if (e === '\\') value += '\\'
          else if (e === '"') value += '"'
          else if (e === 'n') value += '\n'
          else throw new Error(`${at}: bad escape \\${e}`)
          k += 2
          continue
        }
        value += c
        k++
      }
      if (labelName in labels) throw new Error(`${at}: label ${labelName} twice`)
      labels[labelName] = value
      i = k + 1
      if (line[i] === ',') i++
      else if (line[i] !== '}') throw new Error(`${at}: expected , or } after a label`)
    }
    i++
  }
  if (line[i] !== ' ') throw new Error(`${at}: no space before the value`)
  const parts = line.slice(i + 1).split(' ')
  if (parts.length > 2) throw new Error(`${at}: trailing fields`)
  const value = parseValue(parts[0]!, at)
  if (parts.length === 2 && !/^-?\d+$/.test(parts[1]!)) throw new Error(`${at}: bad timestamp`)
  return { name, labels, value }
}

function parseValue(text: string, at: string): number {
  const lower = text.toLowerCase()
  if (lower === '+inf' || lower === 'inf') return Infinity
  if (lower === '-inf') return -Infinity
  if (lower === 'nan') return NaN
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${at}: bad value ${text}`)
  return Number(text)
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: Array<[number, number]>; count?: number; sum?: number }>()
  for (const s of f.samples) {
    const { le, ...rest } = s.labels
    const key = JSON.stringify(Object.entries(rest).sort())
    let g = groups.get(key)
    if (g === undefined) {
      g = { buckets: [] }
      groups.set(key, g)
    }
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`)
      g.buckets.push([parseValue(le, f.name), s.value])
    } else if (s.name === `${f.name}_count`) g.count = s.value
    else if (s.name === `${f.name}_sum`) g.sum = s.value
    else throw new Error(`${f.name}: unexpected sample ${s.name}`)
  }
  for (const [key, g] of groups) {
    if (g.count === undefined || g.sum === undefined) throw new Error(`${f.name}${key}: _count or _sum missing`)
    const sorted = [...g.buckets].sort((a, b) => a[0] - b[0])
    if (sorted.length === 0 || sorted[sorted.length - 1]![0] !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`)
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]![1] < sorted[i - 1]![1]) throw new Error(`${f.name}${key}: buckets are not cumulative`)
    }
    if (sorted[sorted.length - 1]![1] !== g.count) throw new Error(`${f.name}${key}: +Inf bucket differs from _count`)
  }
}

/** The value of the one sample of `name` whose labels include `labels`; throws when there is not exactly one. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const found: Sample[] = []
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) found.push(s)
    }
  }
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}`)
  return found[0]!.value
}
