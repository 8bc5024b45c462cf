import { defineConfig } from 'vitest/config'
export default defineConfig({ test: { projects: ['./admin-ui/vitest.config.ts', './admin-ui/vitest.e2e.config.ts'] } })
