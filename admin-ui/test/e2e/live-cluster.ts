// Real meliproxy nodes for the browser test, through node/testing/test-cluster.ts (three processes on loopback, the
// local origin, a cluster.yml written for the run). The module is loaded by a computed path and typed here by the
// slice the test uses, so the UI's type check (admin-ui/tsconfig.json: browser libs, bundler resolution) does not
// compile the whole node code base; the node side is type-checked by the root tsconfig, and a change to TestCluster
// that breaks this slice fails the test when it runs.
import { fileURLToPath } from 'node:url'

/** A node as TestCluster describes it: base URLs of its proxy and admin addresses. */
export interface LiveNode {
  id: string
  /** http://127.0.0.1:PORT of its proxy */
  http: string
  /** http://127.0.0.1:PORT of its admin API (and the UI) */
  admin: string
}

export interface LiveCluster {
  readonly nodes: readonly LiveNode[]
  /** The admin token every node was configured with. */
  readonly token: string
  /** Resolves when every running node answers /readyz with 200. */
  waitReady(timeoutMs?: number): Promise<void>
  /** SIGKILL node i (no goodbye to anyone) and wait for it to exit. */
  kill(i: number): Promise<void>
  close(): Promise<void>
}

export interface LiveClusterOptions {
  nodes: number
  /** Rules as written in cluster.yml. */
  rules: unknown[]
}

interface TestClusterModule {
  TestCluster: { start(options: LiveClusterOptions): Promise<LiveCluster> }
}

// An absolute file path: the test runner resolves a relative one against the UI's root, not this file.
const TEST_CLUSTER_MODULE = fileURLToPath(new URL('../../../node/testing/test-cluster.js', import.meta.url))

/** Starts the nodes with the local origin as their upstream. Needs `npm run build` (the nodes run the built CLI). */
export async function startLiveCluster(options: LiveClusterOptions): Promise<LiveCluster> {
  const module = (await import(/* @vite-ignore */ TEST_CLUSTER_MODULE)) as TestClusterModule
  return module.TestCluster.start(options)
}
