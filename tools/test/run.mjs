#!/usr/bin/env node
// `pnpm test`: build every package (tests import each other's dist), run all vitest
// projects once, then print the plain `N passed, N failed` line that CI reads.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const resultsDir = `${root}.test-results`
const resultsFile = `${resultsDir}/vitest.json`

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' })
  if (r.error) throw r.error
  return r.status ?? 1
}

if (run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']) !== 0) {
  console.error('build failed: no tests were run')
  console.log('0 passed, 1 failed')
  process.exit(1)
}

mkdirSync(resultsDir, { recursive: true })
rmSync(resultsFile, { force: true })
const code = run('pnpm', [
  'exec',
  'vitest',
  'run',
  '--config',
  'tools/test/vitest.config.mjs',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${resultsFile}`,
  ...process.argv.slice(2),
])

if (!existsSync(resultsFile)) {
  console.error('vitest wrote no results')
  console.log('0 passed, 1 failed')
  process.exit(code || 1)
}
const r = JSON.parse(readFileSync(resultsFile, 'utf8'))
// A file that failed to load counts as a failure even though it has no test results.
const brokenFiles = r.testResults.filter(
  (f) => f.status === 'failed' && f.assertionResults.length === 0,
).length
const failed = r.numFailedTests + brokenFiles
const skipped = r.numPendingTests + r.numTodoTests
console.log(`${r.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(code !== 0 || failed > 0 || r.numPassedTests === 0 ? 1 : 0)
