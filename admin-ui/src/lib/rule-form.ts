// The rule editor's model: what the form holds (strings, as typed), the client-side checks for obvious mistakes,
// the conversion form ⇄ API body, and the mapping of the API's `problems` lines onto form fields. The server is the
// authority: these checks only save a round trip for what is certainly wrong.
//
// List fields are typed as text: ip and method split on commas or spaces, path on spaces (a glob may hold a comma),
// header takes one "Name: value" per line, by is a comma-separated list such as "ip, header:x-api-key".
// The limits checked here are the API's (node/rules/schema.ts): id 1–64 of [A-Za-z0-9._-], description up to 200
// characters, limit up to 10^12, methods as HTTP tokens, header names up to 64 characters.

import type { OneOrMany, RuleBody, RuleMatch, RuleMode } from './api-types.js'

export interface RuleFormValues {
  id: string
  description: string
  ip: string
  path: string
  method: string
  header: string
  by: string
  limit: string
  per: string
  mode: RuleMode
}

export type RuleField = keyof RuleFormValues

/** A message about one field, or about the rule as a whole (`field: null`). */
export interface FieldProblem {
  field: RuleField | null
  message: string
}

/** The field path each form field stands for in the API body (and in its problem lines). */
export const FIELD_PATHS: Readonly<Record<RuleField, string>> = Object.freeze({
  id: 'id',
  description: 'description',
  ip: 'match.ip',
  path: 'match.path',
  method: 'match.method',
  header: 'match.header',
  by: 'by',
  limit: 'limit',
  per: 'per',
  mode: 'mode',
})

export const NAMED_WINDOWS: readonly string[] = Object.freeze(['second', 'minute', 'hour', 'day'])
const MIN_WINDOW_MS = 100
const MAX_WINDOW_MS = 7 * 86_400_000
export const MAX_DESCRIPTION_LENGTH = 200
export const MAX_LIMIT = 1_000_000_000_000
const MAX_HEADER_NAME_LENGTH = 64
const WINDOW_UNIT_MS: Readonly<Record<string, number>> = Object.freeze({ ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 })

const WINDOW = /^([1-9][0-9]{0,9})(ms|s|m|h|d)$/
const POSITIVE_INTEGER = /^[1-9][0-9]*$/
const RULE_ID = /^[A-Za-z0-9._-]{1,64}$/
const COMMAS_OR_SPACES = /[\s,]+/
const SPACES = /\s+/
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const IPV6 = /^[0-9A-Fa-f:.]+$/
const PREFIX_BITS = /^\d{1,3}$/
const METHOD = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const HEADER_LINE = /^([^:]*):(.*)$/
const BY_ITEM = /^(ip|path|method|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+)$/
const PROBLEM_PATH = /^([A-Za-z0-9_.[\]-]+):\s/
const PATH_PREFIX = /^(body\.|rule\.|rules\[\d+\]\.)/
const INDEX_SUFFIX = /\[\d+\]/g

export function emptyRuleForm(): RuleFormValues {
  return { id: '', description: '', ip: '', path: '', method: '', header: '', by: '', limit: '', per: 'minute', mode: 'enforce' }
}

function listOf(value: OneOrMany | undefined): string[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

/** The form showing an existing rule (for editing). */
export function ruleToForm(rule: RuleBody): RuleFormValues {
  const match = rule.match ?? {}
  return {
    id: rule.id,
    description: rule.description ?? '',
    ip: listOf(match.ip).join(', '),
    path: listOf(match.path).join(' '),
    method: listOf(match.method).join(', '),
    header: Object.entries(match.header ?? {})
      .map(([name, value]) => `${name}: ${value}`)
      .join('\n'),
    by: (rule.by ?? []).join(', '),
    limit: String(rule.limit),
    per: rule.per,
    mode: rule.mode ?? 'enforce',
  }
}

function split(text: string, separator: RegExp): string[] {
  return text
    .trim()
    .split(separator)
    .filter((item) => item !== '')
}

function oneOrMany(items: string[]): OneOrMany | undefined {
  if (items.length === 0) return undefined
  return items.length === 1 ? items[0] : items
}

/** Window length in ms of a `per` value, or undefined when it is not one the proxy accepts. */
export function windowMs(per: string): number | undefined {
  if (NAMED_WINDOWS.includes(per)) return { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 }[per]
  const m = WINDOW.exec(per)
  if (m === null) return undefined
  const ms = Number(m[1]) * WINDOW_UNIT_MS[m[2]!]!
  return ms >= MIN_WINDOW_MS && ms <= MAX_WINDOW_MS ? ms : undefined
}

function isIpOrCidr(text: string): boolean {
  const [address, bits, extra] = text.split('/')
  if (address === undefined || extra !== undefined) return false
  const v4 = IPV4.test(address)
  const v6 = !v4 && address.includes(':') && IPV6.test(address)
  if (!v4 && !v6) return false
  if (bits === undefined) return true
  return PREFIX_BITS.test(bits) && Number(bits) <= (v4 ? 32 : 128)
}

function parseHeaders(text: string, problems: FieldProblem[]): Record<string, string> | undefined {
  const headers: Record<string, string> = {}
  const seen = new Set<string>()
  let any = false
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '') continue
    const m = HEADER_LINE.exec(line)
    const name = m?.[1]?.trim() ?? ''
    const value = m?.[2]?.trim() ?? ''
    if (m === null || !HEADER_NAME.test(name) || name.length > MAX_HEADER_NAME_LENGTH || value === '') {
      problems.push({ field: 'header', message: `"${line}" is not a "Name: value" line` })
      continue
    }
    if (seen.has(name.toLowerCase())) {
      problems.push({ field: 'header', message: `header ${name} is given twice` })
      continue
    }
    seen.add(name.toLowerCase())
    headers[name] = value
    any = true
  }
  return any ? headers : undefined
}

export type RuleFormResult = { ok: true; rule: RuleBody } | { ok: false; problems: FieldProblem[] }

/** The API body for the form, or the obvious mistakes in it (each naming its field). */
export function formToRule(form: RuleFormValues): RuleFormResult {
  const problems: FieldProblem[] = []

  const id = form.id.trim()
  if (id === '') problems.push({ field: 'id', message: 'id is required' })
  else if (!RULE_ID.test(id)) {
    problems.push({ field: 'id', message: `${id.length > 80 ? `${id.slice(0, 80)}…` : id} is not 1–64 letters, digits, ".", "_" or "-"` })
  }

  const description = form.description.trim()
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    problems.push({ field: 'description', message: `the description is longer than ${MAX_DESCRIPTION_LENGTH} characters` })
  }

  const ips = split(form.ip, COMMAS_OR_SPACES)
  for (const ip of ips) {
    if (!isIpOrCidr(ip)) problems.push({ field: 'ip', message: `${ip} is not an IP address or CIDR (e.g. 10.0.0.0/8)` })
  }

  const paths = split(form.path, SPACES)
  for (const path of paths) {
    if (!path.startsWith('/')) problems.push({ field: 'path', message: `${path} does not start with "/"` })
  }

  const methods = split(form.method, COMMAS_OR_SPACES).map((m) => m.toUpperCase())
  for (const method of methods) {
    if (!METHOD.test(method)) problems.push({ field: 'method', message: `${method} is not an HTTP method` })
  }

  const header = parseHeaders(form.header, problems)

  const by = split(form.by, COMMAS_OR_SPACES)
  const seenBy = new Set<string>()
  for (const item of by) {
    if (!BY_ITEM.test(item)) {
      problems.push({ field: 'by', message: `${item} is not ip, path, method or header:NAME` })
    } else if (seenBy.has(item.toLowerCase())) {
      problems.push({ field: 'by', message: `${item} is listed twice` })
    }
    seenBy.add(item.toLowerCase())
  }

  const limitText = form.limit.trim()
  const limit = Number(limitText)
  if (limitText === '') problems.push({ field: 'limit', message: 'limit is required' })
  else if (!POSITIVE_INTEGER.test(limitText) || !Number.isSafeInteger(limit)) {
    problems.push({ field: 'limit', message: `${limitText} is not a positive whole number` })
  } else if (limit > MAX_LIMIT) {
    problems.push({ field: 'limit', message: `${limitText} is more than the largest limit, ${MAX_LIMIT}` })
  }

  const per = form.per.trim()
  if (windowMs(per) === undefined) {
    problems.push({
      field: 'per',
      message: `${per === '' ? 'an empty window' : per} is not second, minute, hour, day or a duration from 100ms to 7d (e.g. 10s)`,
    })
  }

  if (form.mode !== 'enforce' && form.mode !== 'shadow') {
    problems.push({ field: 'mode', message: 'mode is enforce or shadow' })
  }

  if (problems.length > 0) return { ok: false, problems }

  const match: RuleMatch = {}
  const ip = oneOrMany(ips)
  if (ip !== undefined) match.ip = ip
  const path = oneOrMany(paths)
  if (path !== undefined) match.path = path
  const method = oneOrMany(methods)
  if (method !== undefined) match.method = method
  if (header !== undefined) match.header = header

  const rule: RuleBody = { id, limit, per, mode: form.mode }
  if (description !== '') rule.description = description
  if (Object.keys(match).length > 0) rule.match = match
  if (by.length > 0) rule.by = by
  return { ok: true, rule }
}

/**
 * The API's `problems` lines ("body.limit: -5 is not a positive integer"), each attached to the form field its path
 * names; a line whose path names no field (or has no path) belongs to the rule as a whole. Lines are kept verbatim.
 */
export function problemsFromApi(lines: readonly string[]): FieldProblem[] {
  return lines.map((line) => {
    const m = PROBLEM_PATH.exec(line)
    if (m === null) return { field: null, message: line }
    const path = m[1]!.replace(PATH_PREFIX, '').replace(INDEX_SUFFIX, '')
    return { field: fieldOfPath(path), message: line }
  })
}

function fieldOfPath(path: string): RuleField | null {
  for (const [field, fieldPath] of Object.entries(FIELD_PATHS) as [RuleField, string][]) {
    if (path === fieldPath || path.startsWith(`${fieldPath}.`)) return field
  }
  return null
}

/** The messages for one field, in the order they came. */
export function messagesFor(problems: readonly FieldProblem[], field: RuleField): string[] {
  return problems.filter((p) => p.field === field).map((p) => p.message)
}
