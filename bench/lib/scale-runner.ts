// Runs scale cells, several at once in worker threads (one per free core) or all inline. Workers load the built
// JavaScript next to this file; run from the TypeScript source (tests, tsx) the cells run inline, since Node 20
// workers do not take tsx's loader.
import { Worker } from 'node:worker_threads'
import { runScaleCell, type ScaleCellParams, type ScaleCellResult } from './scale-cell.js'

const FROM_SOURCE = import.meta.url.endsWith('.ts')

function runInWorker(params: ScaleCellParams): Promise<ScaleCellResult> {
  return new Promise((resolve, reject) => {
    // Not the parent's execArgv: flags such as --input-type are refused in a worker.
    const worker = new Worker(new URL('./scale-worker.js', import.meta.url), { workerData: params, execArgv: [] })
    let settled = false
    worker.once('message', (r: ScaleCellResult) => {
      settled = true
      resolve(r)
    })
    worker.once('error', (err) => {
      settled = true
      reject(err)
    })
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`scale worker exited with ${code} before answering (${params.nodes} nodes, ${params.load})`))
    })
  })
}

/**
 * Runs every cell; `parallel` > 1 runs that many at once in worker threads, biggest first (so the longest cells
 * do not end up alone at the end). Results come back in the order of `cells`. `onDone` hears each as it finishes.
 */
export async function runScaleCells(cells: readonly ScaleCellParams[], parallel: number, onDone: (r: ScaleCellResult) => void = () => {}): Promise<ScaleCellResult[]> {
  const results = new Array<ScaleCellResult>(cells.length)
  if (parallel <= 1 || FROM_SOURCE) {
    cells.forEach((c, i) => {
      results[i] = runScaleCell(c)
      onDone(results[i]!)
    })
    return results
  }
  const order = cells.map((c, i) => ({ c, i })).sort((a, b) => b.c.nodes - a.c.nodes)
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < order.length) {
      const { c, i } = order[next++]!
      results[i] = await runInWorker(c)
      onDone(results[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallel, order.length) }, lane))
  return results
}
