// The `ui` vitest project: component and logic tests of the admin UI in happy-dom, Svelte compiled by its Vite plugin
// and resolved to its browser build (the `browser` condition; Node's default would pick the server renderer).
// Browser tests against a live cluster live in test/e2e/ and are not part of this project.
import { fileURLToPath } from 'node:url'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { svelteTesting } from '@testing-library/svelte/vite'
import { defineProject } from 'vitest/config'
import { svelteOptions } from './svelte-options.js'

const root = fileURLToPath(new URL('.', import.meta.url))

export default defineProject({
  root,
  plugins: [svelte(svelteOptions), svelteTesting()],
  resolve: { conditions: ['browser'] },
  test: {
    name: 'ui',
    environment: 'happy-dom',
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**'],
    testTimeout: 10_000,
  },
})
