// Worker-thread entry of the scale simulation: runs the one cell given as workerData and posts its result, so cells
// of a big cluster (128 simulated nodes take minutes) use every core while nothing else is being measured.
import { parentPort, workerData } from 'node:worker_threads'
import { runScaleCell, type ScaleCellParams } from './scale-cell.js'

if (parentPort !== null) parentPort.postMessage(runScaleCell(workerData as ScaleCellParams))
