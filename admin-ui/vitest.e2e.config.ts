// The `ui-e2e` vitest project: the admin UI in headless Chromium (playwright-core + Debian's chromium), in Node.
// Needs the built node code and UI (`npm run build`; npm test's pretest does it) and `apt-get install chromium`.
// Files run one at a time: each starts a browser (and, for the cluster test, three node processes).
import { fileURLToPath } from 'node:url'
import { defineProject } from 'vitest/config'

const root = fileURLToPath(new URL('.', import.meta.url))

export default defineProject({
  root,
  test: {
    name: 'ui-e2e',
    environment: 'node',
    include: ['test/e2e/**/*.e2e.test.ts'],
    testTimeout: 90_000,
    hookTimeout: 90_000,
    fileParallelism: false,
  },
})
