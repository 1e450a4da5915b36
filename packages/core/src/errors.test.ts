// The README's table of error codes is checked against KINE_ERROR_CODES and the classes that
// carry each code, so it cannot drift from what kine throws.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  AbortedError,
  AccessDeniedError,
  InvalidConfigError,
  KINE_ERROR_CODES,
  KineError,
  LeaseLostError,
  ResourceNotFoundError,
  ThrottledError,
  type KineErrorCode,
} from './errors.js'
import { InvalidLeaseItemError } from './lease-item.js'

interface Row {
  readonly code: string
  readonly className: string
  readonly retryable: string
}

function readmeRows(): Row[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const start = readme.indexOf('<!-- error-codes:start -->')
  const end = readme.indexOf('<!-- error-codes:end -->')
  expect(start, 'README has the error-codes markers').toBeGreaterThanOrEqual(0)
  const lines = readme.slice(start, end).split('\n')
  // Skip the marker, the header and the separator.
  return lines.slice(3).flatMap((line) => {
    const cells = line.split('|').map((cell) => cell.trim().replace(/^`|`$/g, ''))
    const [, code, className, retryable] = cells
    return code === undefined || className === undefined || retryable === undefined
      ? []
      : [{ code, className, retryable }]
  })
}

/** One error of each subclass: the README names that class for the code it carries. */
const SUBCLASSED: readonly KineError[] = [
  new InvalidConfigError('options', ['x']),
  new ThrottledError('throttled'),
  new ResourceNotFoundError('STREAM_NOT_FOUND', 'no stream'),
  new ResourceNotFoundError('SHARD_NOT_FOUND', 'no shard'),
  new ResourceNotFoundError('TABLE_NOT_FOUND', 'no table'),
  new AccessDeniedError('denied'),
  new LeaseLostError('shardId-000000000000', 'lost'),
  new InvalidLeaseItemError(undefined, ['x']),
  new AbortedError(),
]

describe('README error codes', () => {
  it('lists exactly the codes of KineErrorCode, in its order', () => {
    expect(readmeRows().map((row) => row.code)).toEqual(Object.keys(KINE_ERROR_CODES))
  })

  it('gives each code the retryable flag its errors carry', () => {
    for (const row of readmeRows()) {
      const code = row.code as KineErrorCode
      const retryable = new KineError(code, 'x').retryable
      expect(retryable, code).toBe(KINE_ERROR_CODES[code].retryable)
      expect(row.retryable, code).toBe(retryable ? 'yes' : 'no')
    }
  })

  it('names the class that carries each code, KineError for the codes without a subclass', () => {
    const rows = new Map(readmeRows().map((row) => [row.code, row.className]))
    const byCode = new Map(SUBCLASSED.map((error) => [error.code as string, error.name]))
    for (const [code, className] of rows)
      expect(className, code).toBe(byCode.get(code) ?? 'KineError')
  })
})

describe('KineError subclasses', () => {
  it('narrow code to their own literals and keep the retryable flag of the code', () => {
    // The annotations fail typecheck if a subclass widens `code` back to KineErrorCode.
    const caught: unknown = new ThrottledError('throttled')
    if (!(caught instanceof ThrottledError)) throw new Error('not a ThrottledError')
    const throttled: 'THROTTLED' = caught.code
    expect(throttled).toBe('THROTTLED')
    expect(caught.retryable).toBe(true)
    const missing: 'STREAM_NOT_FOUND' | 'SHARD_NOT_FOUND' | 'TABLE_NOT_FOUND' =
      new ResourceNotFoundError('SHARD_NOT_FOUND', 'gone').code
    expect(missing).toBe('SHARD_NOT_FOUND')
    const codes: readonly (
      'INVALID_CONFIG' | 'ACCESS_DENIED' | 'LEASE_LOST' | 'ABORTED' | 'INVALID_LEASE_ITEM'
    )[] = [
      new InvalidConfigError('options', ['x']).code,
      new AccessDeniedError('denied').code,
      new LeaseLostError('s', 'lost').code,
      new AbortedError().code,
      new InvalidLeaseItemError('s', ['x']).code,
    ]
    expect(codes).toEqual([
      'INVALID_CONFIG',
      'ACCESS_DENIED',
      'LEASE_LOST',
      'ABORTED',
      'INVALID_LEASE_ITEM',
    ])
  })
})
