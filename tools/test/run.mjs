#!/usr/bin/env node
// `pnpm test`: build every package (tests import each other's dist), run all vitest
// projects once, then print the plain `N passed, N failed` line that CI reads.
//
// `--unit` and `--pack` narrow the run to the subsets CI also runs on the older Node lines
// (.ci/run): the unit tests are the test files next to the source (`src/**/*.test.ts`, which start
// no emulator), the pack test is every file of tools/pack (the packed tarballs installed with npm
// and run against the emulators). Given both, a file of either runs. Other arguments go to vitest.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

// Vitest keeps a test file when a filter is part of its path inside its project's folder, or is
// an absolute path of a folder that holds it.
const SUBSET_FILTERS = { '--unit': ['src/'], '--pack': [`${root}tools/pack/`] }
const args = process.argv.slice(2)
const subsets = args.filter((a) => a in SUBSET_FILTERS)
const vitestArgs = [
  ...args.filter((a) => !(a in SUBSET_FILTERS)),
  ...subsets.flatMap((s) => SUBSET_FILTERS[s]),
]
const resultsDir = `${root}.test-results`
const resultsFile = `${resultsDir}/vitest.json`

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' })
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
  ...vitestArgs,
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
