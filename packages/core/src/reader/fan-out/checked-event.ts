// What a SubscribeToShard event says, checked: every event carries `Records` and a
// `ContinuationSequenceNumber`, except the shard's final one, which names its children in
// `ChildShards` instead. An event missing either is a fault to retry, never the shard's end, as a
// GetRecords answer without `Records` is for the polling reader.

import type { _Record, SubscribeToShardEvent } from '@aws-sdk/client-kinesis'
import { childShardsFromResponse, malformedChildShards, type ChildShard } from '../child-shards.js'

/** A well-formed event. */
export type CheckedEvent =
  | {
      readonly kind: 'records'
      readonly records: readonly _Record[]
      /** Where the next subscription continues: after this sequence number. */
      readonly continuation: string
      readonly millisBehindLatest: number | undefined
    }
  | {
      readonly kind: 'shard-end'
      readonly records: readonly _Record[]
      readonly childShards: readonly ChildShard[]
      readonly millisBehindLatest: number | undefined
    }

/** The event checked, or the name of the field it lacks (for the malformed-response error). */
export function checkEvent(event: SubscribeToShardEvent | undefined): CheckedEvent | string {
  if (event === undefined) return 'SubscribeToShardEvent'
  const records = event.Records
  if (!Array.isArray(records)) return 'Records'
  const behind = event.MillisBehindLatest
  const millisBehindLatest = typeof behind === 'number' ? behind : undefined
  const continuation = event.ContinuationSequenceNumber
  if (typeof continuation === 'string' && continuation !== '')
    return { kind: 'records', records, continuation, millisBehindLatest }
  const missing = malformedChildShards(event.ChildShards)
  if (missing !== undefined) return missing
  const childShards = childShardsFromResponse(event.ChildShards)
  if (childShards === undefined) return 'ContinuationSequenceNumber (and ChildShards)'
  return { kind: 'shard-end', records, childShards, millisBehindLatest }
}
