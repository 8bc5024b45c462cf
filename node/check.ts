// `meliproxy check`: validates cluster.yml and says what it defines, or exits 78 with the problems.
import { loadConfigFile } from './config/load-config.js'
import { formatDuration } from './config/duration.js'

export function runCheck(file: string): number {
  const { config } = loadConfigFile(file)
  const lines = [
    `${file}: valid`,
    `cluster "${config.cluster.name}": ${config.nodes.length} node(s), gossip every ${config.cluster.gossip.intervalMs} ms, upstream ${config.upstream.url}`,
    ...config.nodes.map((n) => `  ${n.id}: proxy ${n.http.host}:${n.http.port}, admin ${n.admin.host}:${n.admin.port}, p2p ${n.p2p.host}:${n.p2p.port}, data ${n.dataDir}`),
    `${config.rules.length} rule(s):`,
    ...config.rules.map((r) => `  ${r.id}: ${r.limit} per ${r.per}${r.mode === "shadow" ? " (shadow)" : ""}`),
    `statistics kept ${formatDuration(config.stats.retention)}${config.stats.mongo ? `, merged into MongoDB ${config.stats.mongo.database}` : ''}`,
  ]
  process.stdout.write(lines.join('\n') + '\n')
  return 0
}
