// The table of the KPL decoder comparison (step 5 of `pnpm bench`): for information, no verdict.
import type { KplResult } from './kpl-result.js'
import { num, table } from './table.js'

export function kplTable(result: KplResult): string {
  return table(
    [
      'user record B',
      'aggregates',
      'user records',
      'MB',
      'kine ms',
      'agg ms',
      'agg ms (no MD5)',
      'kine µs/rec',
      'agg µs/rec',
      'agg / kine',
      'agg (no MD5) / kine',
    ],
    result.shapes.map((s) => [
      num(s.recordBytes),
      num(s.aggregates),
      num(s.userRecords),
      num(s.aggregateBytes / 1e6, 1),
      num(s.kineMs, 1),
      num(s.awsAggMs, 1),
      num(s.awsAggNoChecksumMs, 1),
      num((s.kineMs * 1000) / s.userRecords, 2),
      num((s.awsAggMs * 1000) / s.userRecords, 2),
      num(s.awsAggMs / s.kineMs, 2),
      num(s.awsAggNoChecksumMs / s.kineMs, 2),
    ]),
  )
}
