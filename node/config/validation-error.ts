// Turns schema issues into lines that name the field path, the bad value and what is allowed:
//   rules[2].limit: -5 is not a positive integer
//   rules[0]: unknown field "limt" (allowed: id, match, by, limit, per, mode)
// cluster.yml, admin API bodies and replicated rules all report errors through this one formatter.
import { z } from 'zod'

type Issue = z.core.$ZodIssue
type Path = ReadonlyArray<PropertyKey>

export function formatPath(path: Path, root = ''): string {
  let out = root
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out === '' ? String(part) : `.${String(part)}`
  }
  return out === '' ? '(root)' : out
}

function valueAt(input: unknown, path: Path): unknown {
  let cur: unknown = input
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<PropertyKey, unknown>)[part as string]
  }
  return cur
}

const MAX_VALUE_CHARS = 80

export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing'
  let text: string
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text
}

function allowedKeys(issue: Issue): string {
  const allowed = (issue as { allowed?: string[] }).allowed
  return allowed ? ` (allowed: ${allowed.join(', ')})` : ''
}

/**
 * A strict object whose unknown-field issues also carry the allowed field names, which formatIssues prints:
 * `unknown field "limt" (allowed: id, limit, per, ...)`. (zod copies the issue's own properties after the error map
 * has run, so setting `allowed` there is what reaches the formatter.)
 */
export function strictObject<S extends z.core.$ZodLooseShape>(shape: S, notObject = 'is not a mapping') {
  const allowed = Object.keys(shape)
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') {
        ;(iss as { allowed?: string[] }).allowed = allowed
        return undefined
      }
      if (iss.code !== 'invalid_type') return undefined
      return iss.input === undefined ? '(required)' : notObject
    },
  })
}

/** One line per issue; `root` prefixes every path (e.g. "body" for admin API requests). */
export function formatIssues(issues: readonly Issue[], input: unknown, root = ''): string[] {
  const lines: string[] = []
  for (const issue of issues) {
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // A union reports one list per branch; the value is simply not any of them.
      const value = valueAt(input, issue.path)
      lines.push(`${formatPath(issue.path, root)}: ${describeValue(value)} ${issue.message === 'Invalid input' ? 'is not valid here' : issue.message}`)
      continue
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        lines.push(`${formatPath(issue.path, root)}: unknown field ${JSON.stringify(key)}${allowedKeys(issue)}`)
      }
      continue
    }
    const value = valueAt(input, issue.path)
    lines.push(`${formatPath(issue.path, root)}: ${describeValue(value)} ${issue.message}`)
  }
  return lines
}
