// Builds the admin UI to admin-ui/dist, which every node serves from its admin address at `/` (same origin as
// /api/v1, so no CORS). `base: './'` keeps asset URLs relative, so the app also works under a path prefix.
// The dev server (npm run dev:ui) proxies the API to a running node: MELIPROXY_ADMIN_URL, default n1's admin address.
import { fileURLToPath } from 'node:url'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig } from 'vite'
import { svelteOptions } from './svelte-options.js'

const root = fileURLToPath(new URL('.', import.meta.url))
const adminUrl = process.env.MELIPROXY_ADMIN_URL ?? 'http://127.0.0.1:7070'
const proxied = { target: adminUrl, changeOrigin: false }

export default defineConfig({
  root,
  base: './',
  plugins: [svelte(svelteOptions)],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // uPlot and Svelte's runtime are small; one chunk keeps the served file set trivial.
    chunkSizeWarningLimit: 300,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    proxy: { '/api': proxied, '/healthz': proxied, '/readyz': proxied, '/metrics': proxied },
  },
  preview: { host: '127.0.0.1', port: 4173, strictPort: false },
})
