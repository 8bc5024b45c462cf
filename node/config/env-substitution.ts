// `${NAME}` and `${NAME:-default}` in cluster.yml take environment variables.
//
// References are swapped for inert placeholder words before the YAML is parsed, and filled in on the parsed values:
// so `admin: { token: ${TOKEN} }` works inside a flow mapping (where a bare `{` would be YAML syntax), and a
// variable's value can never inject YAML structure. A value that is exactly one reference whose variable is unset
// (and has no default) becomes "absent", so optional settings such as `admin.token: ${MELIPROXY_ADMIN_TOKEN}` behave
// as not configured; the text of such a whole value is read as a YAML scalar, so `port: ${PORT:-8080}` is a number.
import { parse as parseYamlScalar } from 'yaml'

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g
const PLACEHOLDER = /__meliproxy_env_(\d+)__/g
const WHOLE_PLACEHOLDER = /^__meliproxy_env_(\d+)__$/

export interface EnvReference { text: string; name: string; fallback: string | undefined }
export interface SubstitutionProblem { path: Array<string | number>; message: string }

/** Replaces every reference in the raw text by a placeholder word; returns the text and the references by index. */
export function protectReferences(text: string): { text: string; refs: EnvReference[] } {
  const refs: EnvReference[] = []
  const out = text.replace(REFERENCE, (whole, name: string, fallback: string | undefined) => {
    refs.push({ text: whole, name, fallback })
    return `__meliproxy_env_${refs.length - 1}__`
  })
  return { text: out, refs }
}

export function substituteEnv(
  value: unknown,
  refs: readonly EnvReference[],
  env: NodeJS.ProcessEnv,
  problems: SubstitutionProblem[],
  path: Array<string | number> = [],
): unknown {
  if (typeof value === 'string') return substituteString(value, refs, env, problems, path)
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, refs, env, problems, [...path, i]))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      const substituted = substituteEnv(v, refs, env, problems, [...path, k])
      if (substituted !== undefined) out[k] = substituted
    }
    return out
  }
  return value
}

function lookup(ref: EnvReference, env: NodeJS.ProcessEnv): string | undefined {
  const found = env[ref.name]
  return found !== undefined && found !== '' ? found : ref.fallback
}

function substituteString(text: string, refs: readonly EnvReference[], env: NodeJS.ProcessEnv, problems: SubstitutionProblem[], path: Array<string | number>): unknown {
  if (!text.includes('__meliproxy_env_')) return text
  const whole = WHOLE_PLACEHOLDER.exec(text)
  if (whole) {
    const chosen = lookup(refs[Number(whole[1])]!, env)
    return chosen === undefined ? undefined : readScalar(chosen)
  }
  return text.replace(PLACEHOLDER, (_placeholder, index: string) => {
    const ref = refs[Number(index)]!
    const chosen = lookup(ref, env)
    if (chosen !== undefined) return chosen
    problems.push({ path, message: `${ref.text} is not set in the environment (use \${${ref.name}:-default} for a default)` })
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
