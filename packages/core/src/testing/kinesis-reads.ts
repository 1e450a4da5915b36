// Reading one in-memory shard: where each GetShardIterator type starts, and what one GetRecords
// returns from there.

import type { GetShardIteratorCommand, _Record } from '@aws-sdk/client-kinesis'
import type { StoredShard } from './in-memory-stream.js'
import { invalidArgument } from './kinesis-errors.js'

const SEQUENCE_NUMBER = /^\d{1,128}$/

/** The index of the first record an iterator of this request returns. */
export function startIndex(shard: StoredShard, input: GetShardIteratorCommand['input']): number {
  const records = shard.records
  switch (input.ShardIteratorType) {
    case 'TRIM_HORIZON':
      return 0
    case 'LATEST':
      return records.length
    case 'AT_TIMESTAMP': {
      if (!(input.Timestamp instanceof Date)) {
        throw invalidArgument('AT_TIMESTAMP needs a Timestamp')
      }
      const at = input.Timestamp.getTime()
      const i = records.findIndex((r) => r.arrivedAt >= at)
      return i === -1 ? records.length : i
    }
    case 'AT_SEQUENCE_NUMBER':
    case 'AFTER_SEQUENCE_NUMBER': {
      const wanted = input.StartingSequenceNumber
      if (wanted === undefined || !SEQUENCE_NUMBER.test(wanted)) {
        throw invalidArgument(`StartingSequenceNumber ${String(wanted)} is not a sequence number`)
      }
      const seq = BigInt(wanted)
      const end = shard.endingSequenceNumber
      if (seq < BigInt(shard.startingSequenceNumber) || (end !== undefined && seq > BigInt(end))) {
        throw invalidArgument(
          `StartingSequenceNumber ${wanted} used in GetShardIterator on shard ${shard.shardId} is not valid for that shard`,
        )
      }
      const after = input.ShardIteratorType === 'AFTER_SEQUENCE_NUMBER'
      const i = records.findIndex((r) =>
        after ? BigInt(r.sequenceNumber) > seq : BigInt(r.sequenceNumber) >= seq,
      )
      return i === -1 ? records.length : i
    }
    case undefined:
      throw invalidArgument(`ShardIteratorType ${String(input.ShardIteratorType)} is not valid`)
  }
}

/** One GetRecords from `index`: the records and where the next iterator starts, or the end. */
export function readRecords(
  shard: StoredShard,
  index: number,
  limit: number,
  now: number,
):
  | { readonly ended: true }
  | {
      readonly ended: false
      readonly records: _Record[]
      readonly next: number
      readonly millisBehindLatest: number
    } {
  // A closed shard ends at the read that finds nothing left: an empty response, no next iterator.
  if (index >= shard.records.length && shard.endingSequenceNumber !== undefined) {
    return { ended: true }
  }
  const slice = shard.records.slice(index, index + limit)
  const next = index + slice.length
  const last = slice[slice.length - 1]
  return {
    ended: false,
    records: slice.map((r) => ({
      SequenceNumber: r.sequenceNumber,
      ApproximateArrivalTimestamp: new Date(r.arrivedAt),
      Data: r.data.slice(),
      PartitionKey: r.partitionKey,
    })),
    next,
    // Zero at the tip; otherwise how old the last record returned is.
    millisBehindLatest:
      next >= shard.records.length || last === undefined ? 0 : Math.max(0, now - last.arrivedAt),
  }
}
