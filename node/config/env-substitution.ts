// `${NAME}` and `${NAME:-default}` in cluster.yml string values take environment variables.
// Substitution happens on parsed YAML values, never on the raw text, so a variable can't inject YAML structure.
// A value that is exactly one `${NAME}` whose variable is unset (and has no default) becomes "absent", so optional
// settings such as `admin.token: ${MELIPROXY_ADMIN_TOKEN}` behave as not configured; the substituted text of a whole
// value is read as a YAML scalar, so `port: ${PORT:-8080}` yields the number 8080.
import { parse as parseYamlScalar } from 'yaml'

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g
const WHOLE_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/

export interface SubstitutionProblem { path: Array<string | number>; message: string }

export function substituteEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  problems: SubstitutionProblem[],
  path: Array<string | number> = [],
): unknown {
  if (typeof value === 'string') return substituteString(value, env, problems, path)
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, problems, [...path, i]))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      const substituted = substituteEnv(v, env, problems, [...path, k])
      if (substituted !== undefined) out[k] = substituted
    }
    return out
  }
  return value
}

function substituteString(text: string, env: NodeJS.ProcessEnv, problems: SubstitutionProblem[], path: Array<string | number>): unknown {
  if (!text.includes('${')) return text
  const whole = WHOLE_REFERENCE.exec(text)
  if (whole) {
    const [, name, fallback] = whole
    const found = env[name!]
    const chosen = found !== undefined && found !== '' ? found : fallback
    if (chosen === undefined) return undefined
    return readScalar(chosen)
  }
  return text.replace(REFERENCE, (ref, name: string, fallback: string | undefined) => {
    const found = env[name]
    if (found !== undefined && found !== '') return found
    if (fallback !== undefined) return fallback
    problems.push({ path, message: `${ref} is not set in the environment (use \${${name}:-default} for a default)` })
    return ''
  })
}

function readScalar(text: string): unknown {
  try {
    const parsed: unknown = parseYamlScalar(text)
    return parsed === null || typeof parsed === 'object' ? text : parsed
  } catch {
    return text
  }
}
