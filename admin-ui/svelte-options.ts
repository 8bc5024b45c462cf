// Svelte compiler options shared by the build (vite.config.ts) and the component tests (vitest.config.ts):
// runes mode for our components, whatever a library in node_modules ships.
import type { Options } from '@sveltejs/vite-plugin-svelte'

export const svelteOptions: Partial<Options> = {
  // No svelte.config.js: everything is here.
  configFile: false,
  dynamicCompileOptions: ({ filename }) => (filename.includes('/node_modules/') ? undefined : { runes: true }),
}
