// De-aggregation of Kinesis Producer Library records, as the KCL does it: an aggregate is the
// 4 magic bytes, an `AggregatedRecord` protobuf and the MD5 digest of that protobuf. Anything
// that fails a check (magic, length, digest, protobuf, table indexes) is delivered unchanged as
// one plain record, never thrown: data is not lost to a parser's opinion.
// This runs for every record of every GetRecords batch, so it hands the SDK's bytes through:
// user records' data are views into the aggregate, and a plain record's data is the same object.

import { hash } from 'node:crypto'
import protobuf from 'protobufjs/light.js'
import {
  parseHashKey,
  parseHashKeyRange,
  partitionKeyHashKey,
  type HashKeyRange,
  type ParsedHashKeyRange,
} from './hash-key.js'
import type { KineRecord } from './record.js'

/** The fields of an SDK `_Record` (GetRecords) that de-aggregation reads. */
export interface KinesisRecordLike {
  readonly Data?: Uint8Array | undefined
  readonly PartitionKey?: string | undefined
  readonly SequenceNumber?: string | undefined
  readonly ApproximateArrivalTimestamp?: Date | undefined
}

const MAGIC_0 = 0xf3
const MAGIC_1 = 0x89
const MAGIC_2 = 0x9a
const MAGIC_3 = 0xc2
const MAGIC_LENGTH = 4
const DIGEST_LENGTH = 16

const EMPTY: Uint8Array = new Uint8Array(0)

// The KPL's messages.proto, declared in code: no .proto file to ship or generate from.
// `edition: 'proto2'` on every type matters: protobufjs 8 reads JSON types as proto3 otherwise,
// and then drops an explicit_hash_key_index of 0 (proto3 has no presence for scalars).
// uint64 indexes decode to Long objects; indexToNumber() turns them into array indexes.
const root = protobuf.Root.fromJSON({
  nested: {
    Tag: {
      edition: 'proto2',
      fields: {
        key: { rule: 'required', type: 'string', id: 1 },
        value: { type: 'string', id: 2 },
      },
    },
    Record: {
      edition: 'proto2',
      fields: {
        partitionKeyIndex: { rule: 'required', type: 'uint64', id: 1 },
        explicitHashKeyIndex: { type: 'uint64', id: 2 },
        data: { rule: 'required', type: 'bytes', id: 3 },
        tags: { rule: 'repeated', type: 'Tag', id: 4 },
      },
    },
    AggregatedRecord: {
      edition: 'proto2',
      fields: {
        partitionKeyTable: { rule: 'repeated', type: 'string', id: 1 },
        explicitHashKeyTable: { rule: 'repeated', type: 'string', id: 2 },
        records: { rule: 'repeated', type: 'Record', id: 3 },
      },
    },
  },
})
const AggregatedRecord = root.lookupType('AggregatedRecord')

interface LongLike {
  readonly low: number
  readonly high: number
}

interface DecodedUserRecord {
  readonly partitionKeyIndex: LongLike | number
  readonly explicitHashKeyIndex?: LongLike | number
  readonly data: Uint8Array
}

interface DecodedAggregate {
  readonly partitionKeyTable: readonly string[]
  readonly explicitHashKeyTable: readonly string[]
  readonly records: readonly DecodedUserRecord[]
}

function indexToNumber(value: LongLike | number): number {
  if (typeof value === 'number') return value
  // An index past 2^32 can only come from a broken producer: no table is that long.
  return value.high === 0 ? value.low >>> 0 : -1
}

function hasAggregateFrame(data: Uint8Array): boolean {
  // More than magic + digest: the KCL treats an aggregate with an empty protobuf as a plain record.
  return (
    data.length > MAGIC_LENGTH + DIGEST_LENGTH &&
    data[0] === MAGIC_0 &&
    data[1] === MAGIC_1 &&
    data[2] === MAGIC_2 &&
    data[3] === MAGIC_3
  )
}

function digestMatches(data: Uint8Array): boolean {
  const end = data.length - DIGEST_LENGTH
  const digest = hash('md5', data.subarray(MAGIC_LENGTH, end), 'buffer')
  for (let i = 0; i < DIGEST_LENGTH; i++) if (digest[i] !== data[end + i]) return false
  return true
}

/**
 * True when `data` is a KPL aggregate by the KCL's checks: the magic prefix, a non-empty
 * protobuf, and a matching MD5 digest (it hashes the whole record). The protobuf itself is not
 * parsed here; {@link deaggregate} still delivers one that does not parse as a plain record.
 */
export function isAggregated(data: Uint8Array): boolean {
  return hasAggregateFrame(data) && digestMatches(data)
}

function decodeAggregate(data: Uint8Array): DecodedAggregate | undefined {
  if (!hasAggregateFrame(data) || !digestMatches(data)) return undefined
  try {
    return AggregatedRecord.decode(
      data.subarray(MAGIC_LENGTH, data.length - DIGEST_LENGTH),
    ) as unknown as DecodedAggregate
  } catch {
    return undefined
  }
}

// Per table entry, whether its hash key is in range: 0 not yet known, 1 in, 2 out, 3 not a hash key.
const UNKNOWN = 0
const IN = 1
const OUT = 2
const INVALID = 3

function rangeState(hashKey: bigint | undefined, range: ParsedHashKeyRange): number {
  if (hashKey === undefined) return INVALID
  return hashKey >= range.start && hashKey <= range.end ? IN : OUT
}

/**
 * Pushes the user records of one Kinesis record onto `out` (one record when it is not a KPL
 * aggregate) and returns how many it pushed: the allocation-light form of {@link deaggregate}
 * for a loop over a GetRecords batch. May push nothing: an aggregate with no user records, or
 * none in the shard's range.
 *
 * @param record a record as GetRecords returns it
 * @param shardId the shard it was read from
 * @param out where the user records go, in order
 * @param hashRange the shard's hash-key range; user records whose hash key is outside it are
 *   dropped (their sub-sequence numbers stay unused). Plain records are never dropped.
 *   @defaultValue no range: nothing is dropped
 * @throws InvalidConfigError when `hashRange` is not a range of decimal hash keys
 */
export function deaggregateInto(
  record: KinesisRecordLike,
  shardId: string,
  out: KineRecord[],
  hashRange?: HashKeyRange,
): number {
  // Parsed (and checked) even for a plain record, so a bad range fails at once, not at the first aggregate.
  const range = hashRange === undefined ? undefined : parseHashKeyRange(hashRange)
  const data = record.Data ?? EMPTY
  const sequenceNumber = record.SequenceNumber ?? ''
  const approximateArrivalTimestamp = record.ApproximateArrivalTimestamp ?? new Date(0)
  const aggregate = decodeAggregate(data)
  if (aggregate !== undefined) {
    const start = out.length
    if (
      pushUserRecords(aggregate, sequenceNumber, approximateArrivalTimestamp, shardId, out, range)
    ) {
      return out.length - start
    }
    // Malformed after all (an index past its table, an explicit hash key that is no number):
    // take back what was pushed and deliver the record whole.
    out.length = start
  }
  out.push({
    data,
    partitionKey: record.PartitionKey ?? '',
    sequenceNumber,
    subSequenceNumber: 0,
    approximateArrivalTimestamp,
    aggregated: false,
    shardId,
  })
  return 1
}

function pushUserRecords(
  aggregate: DecodedAggregate,
  sequenceNumber: string,
  approximateArrivalTimestamp: Date,
  shardId: string,
  out: KineRecord[],
  range: ParsedHashKeyRange | undefined,
): boolean {
  const { partitionKeyTable, explicitHashKeyTable, records } = aggregate
  // Hash keys are computed once per table entry, not per user record, and only when filtering.
  const pkState = range ? new Uint8Array(partitionKeyTable.length) : undefined
  const ehkState = range ? new Uint8Array(explicitHashKeyTable.length) : undefined
  for (let i = 0; i < records.length; i++) {
    const user = records[i] as DecodedUserRecord
    const pkIndex = indexToNumber(user.partitionKeyIndex)
    const partitionKey = partitionKeyTable[pkIndex]
    if (partitionKey === undefined) return false
    let explicitHashKey: string | undefined
    let ehkIndex = -1
    if (Object.hasOwn(user, 'explicitHashKeyIndex')) {
      ehkIndex = indexToNumber(user.explicitHashKeyIndex as LongLike | number)
      explicitHashKey = explicitHashKeyTable[ehkIndex]
      if (explicitHashKey === undefined) return false
    }
    if (range !== undefined && pkState !== undefined && ehkState !== undefined) {
      let state: number
      if (explicitHashKey !== undefined) {
        state = ehkState[ehkIndex] ?? UNKNOWN
        if (state === UNKNOWN) {
          state = rangeState(parseHashKey(explicitHashKey), range)
          ehkState[ehkIndex] = state
        }
      } else {
        state = pkState[pkIndex] ?? UNKNOWN
        if (state === UNKNOWN) {
          state = rangeState(partitionKeyHashKey(partitionKey), range)
          pkState[pkIndex] = state
        }
      }
      if (state === INVALID) return false
      // Belongs to another shard (the KPL's shard map was stale around a split): skip it, but
      // keep its sub-sequence number so positions match the KCL's.
      if (state === OUT) continue
    }
    out.push(
      explicitHashKey === undefined
        ? {
            data: user.data,
            partitionKey,
            sequenceNumber,
            subSequenceNumber: i,
            approximateArrivalTimestamp,
            aggregated: true,
            shardId,
          }
        : {
            data: user.data,
            partitionKey,
            sequenceNumber,
            subSequenceNumber: i,
            approximateArrivalTimestamp,
            aggregated: true,
            shardId,
            explicitHashKey,
          },
    )
  }
  return true
}

/**
 * The user records of one Kinesis record: each user record of a KPL aggregate (in order,
 * `subSequenceNumber` its index in the aggregate, `aggregated` true, `data` a view into the
 * aggregate's bytes), or else the record itself (`subSequenceNumber` 0, `aggregated` false,
 * `data` the very same bytes object). A record with the magic prefix whose digest, protobuf or
 * table indexes are wrong is delivered as a plain record, as the KCL does; this never throws for
 * bad data. For a batch, {@link deaggregateInto} avoids one array per record.
 *
 * @param record a record as GetRecords returns it
 * @param shardId the shard it was read from
 * @param hashRange the shard's hash-key range; user records outside it are dropped.
 *   @defaultValue no range: nothing is dropped
 * @throws InvalidConfigError when `hashRange` is not a range of decimal hash keys
 */
export function deaggregate(
  record: KinesisRecordLike,
  shardId: string,
  hashRange?: HashKeyRange,
): KineRecord[] {
  const out: KineRecord[] = []
  deaggregateInto(record, shardId, out, hashRange)
  return out
}
