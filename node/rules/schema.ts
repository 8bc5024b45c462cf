// The rule schema, shared by cluster.yml (`rules:`), the admin API and replicated rule changes. Every object is
// strict, every list and string bounded (rules arrive from the network). Messages are written for
// node/config/validation-error.ts, which prints "<path>: <value> <message>", e.g.
//   rules[2].limit: -5 is not a positive integer
//   rules[1].match.ip: "10.0.0.0/33" is not an IP address or CIDR
// The output keeps the shape users wrote (a single value stays a single value) so it can be shown and stored back;
// only spellings are normalised: methods upper-case, header names lower-case, `mode` defaulted.
import { z } from 'zod'
import { strictObject } from '../config/validation-error.js'
import { MAX_HEADER_VALUE_GLOB_LENGTH } from './header-value-glob.js'
import { parseIpRange } from './ip-address.js'
import { parsePathGlob } from './path-glob.js'
import { parseWindow } from './window-duration.js'

/** Hard limits on what a rule set may contain. */
export const RULE_LIMITS = Object.freeze({
  maxRules: 1000,
  maxDescriptionLength: 200,
  maxAddresses: 1024,
  maxPaths: 64,
  maxMethods: 16,
  maxHeaders: 16,
  maxHeaderNameLength: 64,
  maxBy: 8,
  maxLimit: 1_000_000_000_000,
})

export const DEFAULT_RULE_MODE = 'enforce'

const RULE_ID = /^[A-Za-z0-9._-]{1,64}$/
const METHOD = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/
const HEADER_NAME = new RegExp(`^[!#$%&'*+.^_\`|~0-9A-Za-z-]{1,${RULE_LIMITS.maxHeaderNameLength}}$`)
// CR, LF and NUL never reach us inside a field value, and the other controls are not valid there either.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/
const BY_HEADER = /^header:(.*)$/s

type Issue = z.core.$ZodRawIssue

/** Error map: one message for a wrong value, and "(required: ...)" when the field is missing. */
function says(wrong: string, required: string) {
  return (iss: Issue) => (iss.input === undefined ? `(required: ${required})` : wrong)
}

/**
 * One item or a non-empty, bounded list of them. The branch is chosen by the value's shape (not a zod union, which
 * would report a bad list entry as "not valid here" instead of naming the entry), so errors point at the entry:
 * `match.ip[1]: "x" is not an IP address or CIDR`.
 */
function oneOrList<T extends z.ZodType<unknown, string>>(item: T, max: number, wrongShape: string) {
  const list = z
    .array(item)
    .min(1, { error: 'is an empty list' })
    .max(max, { error: `has more than ${max} entries` })
  return z.custom<string | string[]>(() => true).transform((value, ctx): z.output<T> | z.output<T>[] => {
    if (typeof value !== 'string' && !Array.isArray(value)) {
      ctx.issues.push({ code: 'custom', message: wrongShape, input: value })
      return z.NEVER
    }
    const parsed = Array.isArray(value) ? list.safeParse(value) : item.safeParse(value)
    if (parsed.success) return parsed.data
    for (const issue of parsed.error.issues) ctx.issues.push(issue as Issue)
    return z.NEVER
  })
}

const IP_WRONG = 'is not an IP address or CIDR'
const ipSchema = z.string({ error: IP_WRONG }).refine((text) => parseIpRange(text) !== undefined, { error: IP_WRONG })

const pathSchema = z.string({ error: 'is not a path glob' }).check((ctx) => {
  const parsed = parsePathGlob(ctx.value)
  if (!parsed.ok) ctx.issues.push({ code: 'custom', message: `is not a valid path glob (${parsed.problem})`, input: ctx.value })
})

const METHOD_WRONG = 'is not an HTTP method (e.g. GET, POST)'
const methodSchema = z
  .string({ error: METHOD_WRONG })
  .regex(METHOD, { error: METHOD_WRONG })
  .transform((m) => m.toUpperCase())

const headerValueSchema = z
  .string({ error: 'is not a header value (text; "*" matches any run of characters)' })
  .max(MAX_HEADER_VALUE_GLOB_LENGTH, { error: `is longer than ${MAX_HEADER_VALUE_GLOB_LENGTH} characters` })
  .refine((v) => !CONTROL.test(v), { error: 'contains a control character' })

const headersSchema = z
  .record(z.string(), headerValueSchema, { error: 'is not a mapping of header names to values' })
  .check((ctx) => {
    const names = Object.keys(ctx.value)
    if (names.length > RULE_LIMITS.maxHeaders) {
      ctx.issues.push({ code: 'custom', message: `has more than ${RULE_LIMITS.maxHeaders} headers`, input: ctx.value })
    }
    const seen = new Set<string>()
    for (const name of names) {
      if (!HEADER_NAME.test(name)) {
        ctx.issues.push({
          code: 'custom',
          message: `has an invalid header name ${JSON.stringify(name)} (1–${RULE_LIMITS.maxHeaderNameLength} letters, digits or !#$%&'*+-.^_\`|~)`,
          input: ctx.value,
        })
      } else if (seen.has(name.toLowerCase())) {
        ctx.issues.push({ code: 'custom', message: `names header ${JSON.stringify(name)} twice (names are case-insensitive)`, input: ctx.value })
      }
      seen.add(name.toLowerCase())
    }
  })
  .transform((headers) => {
    const lower: Record<string, string> = {}
    for (const [name, value] of Object.entries(headers)) lower[name.toLowerCase()] = value
    return lower
  })

const matchSchema = strictObject(
  {
    ip: oneOrList(ipSchema, RULE_LIMITS.maxAddresses, `${IP_WRONG}, or a list of them`).optional(),
    path: oneOrList(pathSchema, RULE_LIMITS.maxPaths, 'is not a path glob, or a list of them').optional(),
    method: oneOrList(methodSchema, RULE_LIMITS.maxMethods, `${METHOD_WRONG}, or a list of them`).optional(),
    header: headersSchema.optional(),
  },
  'is not a mapping of conditions (ip, path, method, header)',
)

/** What gets its own counter: the client address, the path, the method, or a request header's value. */
export type ByDimension = 'ip' | 'path' | 'method' | `header:${string}`

const BY_WRONG = 'is not one of ip, path, method, header:NAME'
const byEntrySchema = z.string({ error: BY_WRONG }).transform((entry, ctx): ByDimension => {
  if (entry === 'ip' || entry === 'path' || entry === 'method') return entry
  const header = BY_HEADER.exec(entry)
  if (header !== null && HEADER_NAME.test(header[1]!)) return `header:${header[1]!.toLowerCase()}`
  ctx.issues.push({ code: 'custom', message: BY_WRONG, input: entry })
  return z.NEVER
})

const bySchema = z
  .array(byEntrySchema, { error: 'is not a list (e.g. [ip] or [ip, path])' })
  .max(RULE_LIMITS.maxBy, { error: `has more than ${RULE_LIMITS.maxBy} entries` })
  .check((ctx) => {
    const seen = new Set<string>()
    ctx.value.forEach((entry, i) => {
      if (seen.has(entry)) ctx.issues.push({ code: 'custom', message: 'is listed twice', input: entry, path: [i] })
      seen.add(entry)
    })
  })

const LIMIT_WRONG = 'is not a positive integer'
const limitSchema = z
  .number({ error: says(LIMIT_WRONG, 'a positive integer') })
  .int({ error: LIMIT_WRONG })
  .positive({ error: LIMIT_WRONG })
  .max(RULE_LIMITS.maxLimit, { error: `is larger than the maximum ${RULE_LIMITS.maxLimit}` })

const PER_WRONG = 'is not a window (second, minute, hour, day, or <n>ms|s|m|h|d from 100ms to 7d)'
const perSchema = z
  .string({ error: says(PER_WRONG, 'second, minute, hour, day, or <n>ms|s|m|h|d from 100ms to 7d') })
  .refine((per) => parseWindow(per) !== undefined, { error: PER_WRONG })

const ID_WRONG = 'is not a rule id (1–64 characters: letters, digits, ".", "_", "-")'

export const ruleSchema = strictObject(
  {
    id: z.string({ error: says(ID_WRONG, '1–64 characters: letters, digits, ".", "_", "-"') }).regex(RULE_ID, { error: ID_WRONG }),
    description: z
      .string({ error: 'is not text' })
      .max(RULE_LIMITS.maxDescriptionLength, { error: `is longer than ${RULE_LIMITS.maxDescriptionLength} characters` })
      .optional(),
    match: matchSchema.optional(),
    by: bySchema.optional(),
    limit: limitSchema,
    per: perSchema,
    mode: z.enum(['enforce', 'shadow'], { error: 'is not "enforce" or "shadow"' }).default(DEFAULT_RULE_MODE),
  },
  'is not a rule (a mapping with id, limit, per and optionally match, by, mode, description)',
)

export const rulesSchema = z
  .array(ruleSchema, { error: 'is not a list of rules' })
  .max(RULE_LIMITS.maxRules, { error: `has more than ${RULE_LIMITS.maxRules} rules` })
  .check((ctx) => {
    const seen = new Set<string>()
    ctx.value.forEach((rule, i) => {
      if (seen.has(rule.id)) ctx.issues.push({ code: 'custom', message: 'is a duplicate id', input: rule.id, path: [i, 'id'] })
      seen.add(rule.id)
    })
  })

/** A validated rule, as compileRules takes it. */
export type RuleConfig = z.output<typeof ruleSchema>
/** A rule as written (before defaults and spelling normalisation). */
export type RuleConfigInput = z.input<typeof ruleSchema>
export type RuleMode = RuleConfig['mode']
