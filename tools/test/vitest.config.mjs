// One vitest run over every package's projects, used by `pnpm test`.
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    projects: ['packages/*/vitest*.config.ts', 'tools/*/vitest*.config.ts'],
  },
})
