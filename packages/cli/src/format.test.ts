import { describe, expect, it } from 'vitest'
import { formatBytes, formatDuration, formatShare } from './format.js'
import { hashKeyShare } from './stream-report.js'
import { renderTable } from './table.js'

describe('formatting', () => {
  it('bytes, shares and durations for people', () => {
    expect([formatBytes(100), formatBytes(1536), formatBytes(5 * 1024 ** 3)]).toEqual([
      '100 B',
      '1.5 KB',
      '5.0 GB',
    ])
    expect([formatShare(1), formatShare(0.25), formatShare(1e-9), formatShare(0)]).toEqual([
      '100.00%',
      '25.00%',
      '<0.01%',
      '0.00%',
    ])
    expect([
      formatDuration(400),
      formatDuration(42_000),
      formatDuration(185_000),
      formatDuration(7_800_000),
      formatDuration(97_200_000),
    ]).toEqual(['0s', '42s', '3m 5s', '2h 10m', '1d 3h'])
  })

  it("a shard's share of the 2^128 hash keys", () => {
    expect(hashKeyShare('0', '340282366920938463463374607431768211455')).toBe(1)
    expect(hashKeyShare('0', '170141183460469231731687303715884105727')).toBe(0.5)
    expect(hashKeyShare('x', '1')).toBe(0)
  })

  it('tables: aligned columns, upper-case headings, no trailing spaces', () => {
    const table = renderTable(
      [
        { header: 'shard', get: (r: { id: string; n: number }) => r.id },
        { header: 'n', get: (r) => String(r.n), align: 'right' },
      ],
      [
        { id: 'a', n: 5 },
        { id: 'bbb', n: 100 },
      ],
    )
    expect(table).toBe(['SHARD    N', 'a        5', 'bbb    100'].join('\n'))
  })
})
