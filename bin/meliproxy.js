#!/usr/bin/env node
// The compiled CLI (npm run build writes dist/), kept as plain JS so the bin works without a TypeScript runtime.
// `meliproxy bench` goes straight to bench/: node/ never imports bench/ (the benchmarks import the node, not the reverse).
if (process.argv[2] === 'bench') {
  const { runBench } = await import('../dist/bench/cli.js')
  process.exitCode = await runBench(process.argv.slice(3))
} else {
  await import('../dist/node/cli.js')
}
