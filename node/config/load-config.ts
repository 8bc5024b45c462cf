// Reads cluster.yml: YAML → environment substitution → schema validation → resolved paths.
// Every failure is a ConfigError whose lines name the field path, the bad value and what is allowed.
import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { parseDocument } from 'yaml'
import { ConfigError } from './errors.js'
import { protectReferences, substituteEnv, type SubstitutionProblem } from './env-substitution.js'
import { configSchema, type ClusterConfig } from './schema.js'
import { formatIssues, formatPath } from './validation-error.js'

/** cluster.yml is small; a bigger file is a mistake (or an attack on whoever loads it). */
export const MAX_CONFIG_BYTES = 1024 * 1024

export interface LoadedConfig {
  file: string
  config: ClusterConfig
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string
  try {
    const bytes = readFileSync(file)
    if (bytes.length > MAX_CONFIG_BYTES) throw new ConfigError(file, [`(file): ${bytes.length} bytes is larger than the ${MAX_CONFIG_BYTES}-byte limit`])
    text = bytes.toString('utf8')
  } catch (err) {
    if (err instanceof ConfigError) throw err
    throw new ConfigError(file, [`(file): cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`])
  }
  return { file, config: parseConfigText(text, file, env) }
}

export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): ClusterConfig {
  const protectedText = protectReferences(text)
  const doc = parseDocument(protectedText.text, { prettyErrors: true, uniqueKeys: true })
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `line ${e.linePos?.[0]?.line ?? '?'}, column ${e.linePos?.[0]?.col ?? '?'}: ${e.message.split('\n')[0]}`),
    )
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 })
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, ['(root): the file must be a YAML mapping with cluster, upstream, nodes, ...'])
  }
  const problems: SubstitutionProblem[] = []
  const substituted = substituteEnv(raw, protectedText.refs, env, problems)
  if (problems.length > 0) throw new ConfigError(file, problems.map((p) => `${formatPath(p.path)}: ${p.message}`))

  const parsed = configSchema.safeParse(substituted)
  if (!parsed.success) throw new ConfigError(file, formatIssues(parsed.error.issues, substituted))

  const base = dirname(resolve(file))
  const config = parsed.data
  for (const node of config.nodes) {
    if (!isAbsolute(node.dataDir)) node.dataDir = resolve(base, node.dataDir)
  }
  return config
}
