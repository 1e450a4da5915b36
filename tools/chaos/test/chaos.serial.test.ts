// The short chaos run as CI's check: the same program `pnpm chaos --short` runs (every fault class
// with a split, a merge and a SIGKILL; DynamoDB and Kinesis outages; malformed answers), judged by
// its ledger. Serial: it runs kinesis-local, a Sync and several workers per scenario.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url))

function run(args: readonly string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args], {
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (out += c.toString()))
    child.once('exit', (status) => resolve({ status, out }))
  })
}

/** The verdict table's row of `scenario`, by column name. */
function row(out: string, scenario: string): Record<string, string> | undefined {
  const lines = out.split('\n')
  const header = lines.findIndex((l) => l.startsWith('scenario '))
  if (header < 0) return undefined
  const names = lines[header]!.split(/ {2,}/).map((c) => c.trim())
  const cells = lines
    .slice(header + 2)
    .find((l) => l.split(/ +/)[0] === scenario)
    ?.trim()
    .split(/ {2,}/)
  if (!cells) return undefined
  return Object.fromEntries(names.map((n, i) => [n, cells[i]!.trim()]))
}

describe('pnpm chaos --short', () => {
  it('loses nothing, keeps order and parents first, no worker exits, and resumes after every fault', async () => {
    expect(existsSync(main), 'build tools/chaos first (pnpm test does)').toBe(true)
    const { status, out } = await run(['--short'])
    for (const scenario of ['mixed', 'outages', 'malformed']) {
      const r = row(out, scenario)
      expect(r, `${scenario} row missing:\n${out}`).toBeDefined()
      expect(Number(r!.produced), out).toBeGreaterThan(500)
      expect({ scenario, ...r }, out).toMatchObject({
        lost: '0',
        'order viol.': '0',
        'parent viol.': '0',
        'worker exits': '0',
        resumed: 'yes',
        verdict: 'PASS',
      })
    }
    expect(out).toMatch(/mixed: splitting shardId-/)
    expect(out).toMatch(/worker-2 killed with SIGKILL/)
    expect(status, out).toBe(0)
  }, 240_000)
})
