// Turns the records of one GetRecords response into user records: the hot path. The SDK's bytes
// are handed through (no copies), KPL aggregates are opened, and while a checkpoint is being
// resumed, every user record at or before it is dropped.

import type { _Record } from '@aws-sdk/client-kinesis'
import type { HashKeyRange } from '../hash-key.js'
import { deaggregateInto } from '../kpl-deaggregate.js'
import type { KineRecord } from '../record.js'
import { compareSequenceNumbers, type RecordPosition } from '../sequence-number.js'

/** The user records of one response, and what the reader needs to know about it. */
interface BuiltBatch {
  readonly records: KineRecord[]
  /** Data plus partition-key bytes of the Kinesis records, for the read budget. */
  readonly bytes: number
  /** Sequence number of the response's last Kinesis record (delivered or dropped). */
  readonly lastSequenceNumber: string | undefined
  /** The checkpoint still to pass, or undefined once a record after it has been seen. */
  readonly checkpoint: RecordPosition | undefined
}

/**
 * Builds the user records of `raw` (a GetRecords `Records` list) read from `shardId`.
 *
 * @param hashKeyRange the shard's range: aggregated user records outside it are dropped
 * @param checkpoint drop every user record whose (sequence, sub-sequence) is not after it
 */
export function buildBatch(
  raw: readonly _Record[],
  shardId: string,
  hashKeyRange: HashKeyRange | undefined,
  checkpoint: RecordPosition | undefined,
): BuiltBatch {
  const records: KineRecord[] = []
  let bytes = 0
  let pending = checkpoint
  for (const record of raw) {
    bytes += (record.Data?.byteLength ?? 0) + (record.PartitionKey?.length ?? 0)
    if (pending !== undefined) {
      const order = compareSequenceNumbers(record.SequenceNumber ?? '', pending.sequenceNumber)
      if (order < 0) continue
      if (order === 0) {
        // The checkpointed aggregate itself: keep only its user records after the checkpoint.
        const start = records.length
        deaggregateInto(record, shardId, records, hashKeyRange)
        let kept = start
        for (let i = start; i < records.length; i++) {
          const user = records[i] as KineRecord
          if (user.subSequenceNumber > pending.subSequenceNumber) records[kept++] = user
        }
        records.length = kept
        continue
      }
      // Sequence numbers only grow within a shard: nothing later can be at or before the checkpoint.
      pending = undefined
    }
    deaggregateInto(record, shardId, records, hashKeyRange)
  }
  return {
    records,
    bytes,
    lastSequenceNumber: raw.length > 0 ? raw[raw.length - 1]?.SequenceNumber : undefined,
    checkpoint: pending,
  }
}
