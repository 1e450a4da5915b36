// One shard's figures under limits, from the calls a CallLog saw: the most calls and bytes in any
// one-second window, and the drain rates up to the moment the shard's last expected record came.
import type { ShardCallLog } from './call-log.js'
import type { GovernedShard } from './governed-result.js'
import { maxInWindow } from './windows.js'

/**
 * @param drainedAt performance.now() when the shard's last expected record was delivered
 *   (responses after it, on caught up, count in the windows but not in the drain)
 */
export function governedShard(
  calls: ShardCallLog,
  shardId: string,
  records: number,
  expected: number,
  drainedAt: number | undefined,
): GovernedShard {
  const first = calls.getShardIterator[0] ?? calls.getRecords[0] ?? 0
  let drainBytes = 0
  let lastBytes = 0
  let drainEnd = first
  for (const r of calls.responses) {
    if (drainedAt !== undefined && r.at > drainedAt) break
    drainBytes += r.bytes
    lastBytes = r.bytes
    drainEnd = r.at
  }
  const drainMs = drainEnd - first
  return {
    shardId,
    records,
    getRecordsCalls: calls.getRecords.length,
    getShardIteratorCalls: calls.getShardIterator.length,
    maxGetRecordsPerWindow: maxInWindow(calls.getRecords),
    maxGetShardIteratorPerWindow: maxInWindow(calls.getShardIterator),
    maxBytesPerWindow: maxInWindow(
      calls.responses.map((r) => r.at),
      calls.responses.map((r) => r.bytes),
    ),
    largestResponseBytes: Math.max(0, ...calls.responses.map((r) => r.bytes)),
    drainBytesPerSecond: drainMs > 0 ? (drainBytes * 1000) / drainMs : 0,
    paidBytesPerSecond: drainMs > 0 ? ((drainBytes - lastBytes) * 1000) / drainMs : 0,
    drainRecordsPerSecond: drainMs > 0 ? (expected * 1000) / drainMs : 0,
    drainMs,
  }
}
