// The README's table of the CLI's own `--json` error codes is checked against CLI_ERROR_CODES and
// the exit status each gets, so it cannot drift from what `kine` prints.
import { readFileSync } from 'node:fs'
import { ResourceNotFoundError, InvalidConfigError } from '@kine/core'
import { describe, expect, it } from 'vitest'
import { CLI_ERROR_CODES, describeFailure, exitStatus, type CliErrorCode } from './cli-errors.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

function readmeRows(): { code: string; exit: string }[] {
  const start = readme.indexOf('<!-- cli-error-codes:start -->')
  const end = readme.indexOf('<!-- cli-error-codes:end -->')
  expect(start, 'README has the cli-error-codes markers').toBeGreaterThanOrEqual(0)
  // Skip the marker, the header and the separator.
  return readme
    .slice(start, end)
    .split('\n')
    .slice(3)
    .flatMap((line) => {
      const [, code, exit] = line.split('|').map((cell) => cell.trim().replace(/^`|`$/g, ''))
      return code === undefined || exit === undefined ? [] : [{ code, exit }]
    })
}

describe('README error codes', () => {
  it("lists exactly the CLI's own codes, each with its exit status", () => {
    const rows = readmeRows()
    expect(rows.map((row) => row.code)).toEqual([...CLI_ERROR_CODES])
    for (const row of rows)
      expect(row.exit, row.code).toBe(String(exitStatus(row.code as CliErrorCode)))
  })

  it("points to core's table for the kine codes, with the exit status of INVALID_CONFIG", () => {
    expect(readme).toContain("[@kine/core's error codes](../core/README.md#errors)")
    expect(exitStatus('INVALID_CONFIG')).toBe(2)
    expect(readme).toMatch(
      /`INVALID_CONFIG` for flags that\s+parse but do not make sense \(exit status 2\)/,
    )
  })
})

describe('describeFailure', () => {
  it('gives a kine error its own code, with exit status 2 for INVALID_CONFIG and 1 otherwise', () => {
    expect(describeFailure(new InvalidConfigError('flags', ['-n: not a number']))).toMatchObject({
      code: 'INVALID_CONFIG',
      exit: 2,
    })
    expect(
      describeFailure(
        new ResourceNotFoundError('TABLE_NOT_FOUND', 'lease table "t" does not exist'),
      ),
    ).toMatchObject({ code: 'TABLE_NOT_FOUND', exit: 1 })
  })

  it("names an error that is not kine's ERROR, exit status 1", () => {
    expect(describeFailure(new Error('boom'))).toEqual({ code: 'ERROR', exit: 1, message: 'boom' })
  })
})
