// The demo's scenario as a test: the same program `pnpm demo` runs (split, merge, SIGKILL of a
// worker, a new worker), judged by its ledger. Serial: it runs five processes and kinesis-local.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url))

describe('pnpm demo', () => {
  it('loses nothing, keeps per-key order and finishes parents before children', () => {
    expect(existsSync(main), 'build tools/demo first (pnpm test does)').toBe(true)
    const r = spawnSync(process.execPath, [main], {
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
      timeout: 150_000,
    })
    const out = `${r.stdout}\n${r.stderr}`
    expect(out).toMatch(/lost +0 +ok/)
    expect(out).toMatch(/per-key order violations +0 +ok/)
    expect(out).toMatch(/children started before a parent +0 +ok/)
    expect(out).toMatch(/worker-2 killed with SIGKILL/)
    expect(out).toMatch(/splitting shardId-/)
    expect(out).toMatch(/merging shardId-/)
    const produced = Number(/records produced +(\d+)/.exec(out)?.[1])
    expect(produced).toBeGreaterThan(1_000)
    expect(r.status, out).toBe(0)
  }, 180_000)
})
