import { defineConfig } from 'vitest/config'

// Three projects: the server side (Node environment, real processes and sockets), the admin UI's component tests
// (Svelte compiled by its Vite plugin, DOM from happy-dom) and the admin UI in headless Chromium.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'server',
          include: ['crdt-counters/**/*.test.ts', 'gossip/**/*.test.ts', 'node/**/*.test.ts', 'bench/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Multi-process tests bind fixed loopback ports; files run one at a time so they never collide.
          fileParallelism: false,
        },
      },
      './admin-ui/vitest.config.ts',
      './admin-ui/vitest.e2e.config.ts',
    ],
  },
})
