// The per-shard table of a default-limits run (steps 3 and 4 of `pnpm bench`).
import type { GovernedResult } from './governed-result.js'
import type { GovernedVerdict } from './summary.js'
import { num, table, verdict } from './table.js'

/** True when every shard kept every limit and every call was traced to a shard. */
export function governedPass(
  result: GovernedResult,
  verdicts: readonly GovernedVerdict[],
): boolean {
  return (
    result.untracedCalls === 0 &&
    verdicts.every((v) => v.callsPass && v.iteratorCallsPass && v.bytesPass)
  )
}

/** One line per shard: calls and bytes in the worst one-second window, drain rates, verdict. */
export function governedTable(
  result: GovernedResult,
  verdicts: readonly GovernedVerdict[],
): string {
  return table(
    [
      'shard',
      'records',
      'GetRecords',
      'max/1 s',
      'GetShardIt.',
      'max/1 s',
      'max MB/1 s',
      'allowed MB',
      'drain MB/s',
      'paid MB/s',
      'drain rec/s',
      'verdict',
    ],
    result.shards.map((s, i) => {
      const v = verdicts[i]
      return [
        s.shardId,
        num(s.records),
        num(s.getRecordsCalls),
        num(s.maxGetRecordsPerWindow),
        num(s.getShardIteratorCalls),
        num(s.maxGetShardIteratorPerWindow),
        num(s.maxBytesPerWindow / 1e6, 3),
        num((v?.allowedBytesPerWindow ?? 0) / 1e6, 3),
        num(s.drainBytesPerSecond / 1e6, 3),
        num(s.paidBytesPerSecond / 1e6, 3),
        num(s.drainRecordsPerSecond),
        verdict(v !== undefined && v.callsPass && v.iteratorCallsPass && v.bytesPass),
      ]
    }),
  )
}
