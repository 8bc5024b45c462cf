#!/usr/bin/env node
// The compiled CLI (npm run build writes dist/). Kept as plain JS so the bin works without a TypeScript runtime.
import '../dist/node/cli.js'
