// kine's KPL de-aggregation against an encoder and a decoder that are not kine's: aws-kinesis-agg,
// AWS's Node.js module for the format. Its aggregates (many user records, shared and distinct
// partition keys, explicit hash keys, empty and binary data, aggregates up to the 1 MiB record
// limit) are decoded by kine and by aws-kinesis-agg and compared field by field; then they are put
// into a real stream (kinesalite) and read back with the ShardReader from AFTER_CHECKPOINT at every
// sub-sequence of an aggregate. kine's own tests use kine's encoder (tools/local), which could share
// a misreading of the format with the decoder; these cannot.
import { ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import {
  createStream,
  kinesisClient,
  putRecords,
  startKinesis,
  type LocalKinesis,
  type PutResult,
} from '@kine-tools/local'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HashKeyRange } from '../src/hash-key.js'
import { deaggregate, isAggregated } from '../src/kpl-deaggregate.js'
import type { KineRecord } from '../src/record.js'
import { ShardReader } from '../src/reader/shard-reader.js'
import {
  aggAggregate,
  aggDeaggregate,
  digest,
  type AggAggregate,
  type AggInput,
  type AggUserRecord,
} from './kpl-agreement-helpers.js'

const SHARD = 'shardId-000000000000'
const SEQ = '49590338271490256608559692538361571095921575989136588898'
const MAX_HASH_KEY = '340282366920938463463374607431768211455' // 2^128 - 1
const MiB = 1024 * 1024

/** Deterministic bytes (xorshift), so a failure reproduces. */
function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed | 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

function sdkRecord(aggregate: { data: Uint8Array; partitionKey: string }, sequenceNumber = SEQ) {
  return {
    Data: aggregate.data,
    PartitionKey: aggregate.partitionKey,
    SequenceNumber: sequenceNumber,
    ApproximateArrivalTimestamp: new Date('2026-01-01T00:00:00Z'),
  }
}

/** The fields both decoders report, in one shape; data as a digest so 1 MiB records print short. */
function fromKine(r: KineRecord) {
  return {
    partitionKey: r.partitionKey,
    explicitHashKey: r.explicitHashKey,
    sequenceNumber: r.sequenceNumber,
    subSequenceNumber: r.subSequenceNumber,
    data: digest(r.data),
  }
}
function fromAgg(r: AggUserRecord) {
  return {
    partitionKey: r.partitionKey,
    explicitHashKey: r.explicitHashKey,
    sequenceNumber: r.sequenceNumber,
    subSequenceNumber: r.subSequenceNumber,
    data: digest(r.data),
  }
}
/** What went in, at the position it should come out. */
function fromInput(input: AggInput, subSequenceNumber: number, sequenceNumber = SEQ) {
  return {
    partitionKey: input.partitionKey,
    explicitHashKey: input.explicitHashKey,
    sequenceNumber,
    subSequenceNumber,
    data: digest(input.data),
  }
}

/**
 * aws-kinesis-agg's view with its one known misreading undone: it decodes with protobufjs 7 from a
 * proto2 description, where an absent uint64 reads as its default 0, so a user record without an
 * explicit hash key, in an aggregate where another record has one, is reported with
 * explicit_hash_key_table[0]. Where the input had none, that report is checked to be exactly the
 * table's first entry and then cleared; every other field is compared as it is.
 */
function referenceView(reference: readonly AggUserRecord[], inputs: readonly AggInput[]) {
  const firstKey = inputs.find((i) => i.explicitHashKey !== undefined)?.explicitHashKey
  return reference.map((r, i) => {
    if (inputs[i]?.explicitHashKey !== undefined) return fromAgg(r)
    expect(r.explicitHashKey).toBe(firstKey)
    return { ...fromAgg(r), explicitHashKey: undefined }
  })
}

/** Decodes with both and checks each against the other and against the inputs. */
function expectAgreement(aggregate: AggAggregate): KineRecord[] {
  const record = sdkRecord(aggregate)
  expect(isAggregated(aggregate.data)).toBe(true)
  const kine = deaggregate(record, SHARD)
  const reference = aggDeaggregate(record)
  expect(reference).toHaveLength(aggregate.inputs.length)
  expect(kine.map(fromKine)).toEqual(referenceView(reference, aggregate.inputs))
  expect(kine.map(fromKine)).toEqual(aggregate.inputs.map((input, i) => fromInput(input, i)))
  for (const r of kine) {
    expect(r.aggregated).toBe(true)
    expect(r.shardId).toBe(SHARD)
  }
  return kine
}

describe('KPL de-aggregation agrees with aws-kinesis-agg on its own aggregates', () => {
  it('many user records, partition keys shared and distinct, explicit hash keys on every record', () => {
    const inputs: AggInput[] = Array.from({ length: 3_000 }, (_, i) => ({
      // Every ten records share a key; every hundredth has one of its own.
      partitionKey: i % 100 === 0 ? `solo-${i}` : `shared-${Math.floor(i / 10)}`,
      data: bytes(1 + (i % 300), i + 1),
      explicitHashKey: (
        (BigInt(i) * 113_427_455_640_312_821_154_458_202_477_256_070_485n) %
        (BigInt(MAX_HASH_KEY) + 1n)
      ).toString(),
    }))
    const aggregates = aggAggregate(inputs)
    expect(aggregates.length).toBe(1)
    const kine = expectAgreement(aggregates[0] as AggAggregate)
    expect(new Set(kine.map((r) => r.partitionKey)).size).toBe(300 + 30)
  })

  it('records without explicit hash keys, and distinct partition keys only', () => {
    const inputs: AggInput[] = Array.from({ length: 500 }, (_, i) => ({
      partitionKey: `key-${i}`,
      data: bytes(64, 1_000 + i),
    }))
    expectAgreement(aggAggregate(inputs)[0] as AggAggregate)
  })

  it('empty data, binary data with every byte value, and user data that itself looks like an aggregate', () => {
    const nested = aggAggregate([{ partitionKey: 'inner', data: bytes(10, 7) }])[0] as AggAggregate
    const inputs: AggInput[] = [
      { partitionKey: 'empty', data: new Uint8Array(0) },
      { partitionKey: 'all-bytes', data: Uint8Array.from({ length: 256 }, (_, i) => i) },
      { partitionKey: 'empty', data: new Uint8Array(0), explicitHashKey: '0' },
      // A whole aggregate as user data: delivered as the bytes it is, never opened a second time.
      { partitionKey: 'nested', data: nested.data },
      { partitionKey: 'zeros', data: new Uint8Array(1_000) },
      { partitionKey: 'ünïcødé-ключ-🔑', data: bytes(33, 9), explicitHashKey: MAX_HASH_KEY },
    ]
    const kine = expectAgreement(aggAggregate(inputs)[0] as AggAggregate)
    expect(kine[0]?.data.byteLength).toBe(0)
    expect(Buffer.from(kine[3]?.data ?? []).equals(Buffer.from(nested.data))).toBe(true)
  })

  it('the largest aggregates: one user record filling 1 MiB, and 1 MiB of small records', () => {
    // aws-kinesis-agg fills an aggregate to 1 MiB (magic, protobuf and digest together).
    const big = aggAggregate([
      { partitionKey: 'big', data: bytes(MiB - 40, 11) },
      { partitionKey: 'next', data: bytes(10, 12) },
    ])
    expect(big.map((a) => a.inputs.length)).toEqual([1, 1])
    const small = aggAggregate(
      Array.from({ length: 12_000 }, (_, i) => ({
        partitionKey: `p-${i % 50}`,
        data: bytes(100, 20_000 + i),
        explicitHashKey: String(2 ** 40 + (i % 7)), // not integer-like: see disagreement 2
      })),
    )
    expect(small.length).toBeGreaterThan(1)
    for (const aggregate of [...big, ...small]) {
      expect(aggregate.data.byteLength).toBeLessThanOrEqual(MiB)
      expectAgreement(aggregate)
    }
    expect(big[0]?.data.byteLength).toBeGreaterThan(MiB - 100)
    expect(small[0]?.data.byteLength).toBeGreaterThan(MiB - 200)
  })

  it('a plain record passes through both unchanged (kine adds sub-sequence 0)', () => {
    const data = bytes(200, 5)
    const record = sdkRecord({ data, partitionKey: 'plain' })
    const [kine] = deaggregate(record, SHARD)
    const [reference] = aggDeaggregate(record)
    expect(kine?.data).toBe(data)
    expect(reference?.data).toBe(data)
    expect(kine?.aggregated).toBe(false)
    expect(kine?.subSequenceNumber).toBe(0)
    expect(reference?.subSequenceNumber).toBeUndefined()
    expect([kine?.partitionKey, kine?.sequenceNumber]).toEqual([
      reference?.partitionKey,
      reference?.sequenceNumber,
    ])
  })

  // Disagreement 1, in aws-kinesis-agg's decoder (see referenceView): kine reports what was
  // encoded, as the KCL does. Hash keys past 2^32 here, clear of disagreement 2 below.
  it('a record without an explicit hash key beside one with: kine reports none, aws-kinesis-agg the first', () => {
    const inputs: AggInput[] = [
      { partitionKey: 'a', data: bytes(5, 1), explicitHashKey: '98765432109876' },
      { partitionKey: 'b', data: bytes(5, 2) },
      { partitionKey: 'c', data: bytes(5, 3), explicitHashKey: '12345678901234' },
      { partitionKey: 'd', data: bytes(5, 4) },
    ]
    const aggregate = aggAggregate(inputs)[0] as AggAggregate
    const record = sdkRecord(aggregate)
    const kine = deaggregate(record, SHARD)
    const reference = aggDeaggregate(record)
    expect(kine.map(fromKine)).toEqual(inputs.map((input, i) => fromInput(input, i)))
    expect(reference.map((r) => r.explicitHashKey)).toEqual([
      '98765432109876',
      '98765432109876',
      '12345678901234',
      '98765432109876',
    ])
    expect(kine.map(fromKine)).toEqual(referenceView(reference, inputs))
  })

  // Disagreement 2, in aws-kinesis-agg's encoder: it numbers keys in insertion order but writes
  // the key tables with Object.keys(), which lists integer-like keys ("7", "12345"; below 2^32 - 1)
  // first and in ascending order. So when such keys come out of ascending order, its aggregates
  // name the wrong partition (and explicit hash) keys. Both decoders read those bytes alike.
  it("integer-like keys out of ascending order: aws-kinesis-agg's encoder writes swapped tables; both decoders read them alike", () => {
    const inputs: AggInput[] = [
      { partitionKey: '10', data: bytes(5, 1), explicitHashKey: '500' },
      { partitionKey: '9', data: bytes(5, 2), explicitHashKey: '40' },
      { partitionKey: 'x', data: bytes(5, 3), explicitHashKey: '3' },
      { partitionKey: '10', data: bytes(5, 4), explicitHashKey: '500' },
    ]
    const aggregate = aggAggregate(inputs)[0] as AggAggregate
    const record = sdkRecord(aggregate)
    const kine = deaggregate(record, SHARD)
    expect(kine.map(fromKine)).toEqual(aggDeaggregate(record).map(fromAgg))
    // Indexes 0, 1, 2, 0 against tables ['9', '10', 'x'] and ['3', '40', '500'].
    expect(kine.map((r) => [r.partitionKey, r.explicitHashKey])).toEqual([
      ['9', '3'],
      ['10', '40'],
      ['x', '500'],
      ['9', '3'],
    ])
  })
})

describe('ShardReader on kinesalite: checkpoints inside aws-kinesis-agg aggregates', () => {
  let kinesis: LocalKinesis
  let client: KinesisClient
  const stream = `kpl-agreement-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
  let shardId: string
  let hashKeyRange: HashKeyRange
  /** Everything put, in shard order, as the user records a reader must deliver. */
  let expected: ReturnType<typeof fromAgg>[]
  /** The aggregates put, with their sequence numbers. */
  let aggregates: { aggregate: AggAggregate; put: PutResult }[]

  beforeAll(async () => {
    kinesis = await startKinesis({ engine: 'kinesalite' })
    client = kinesisClient(kinesis.endpoint)
    await createStream(client, stream, 1)
    const shard = (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards?.[0]
    shardId = shard?.ShardId as string
    hashKeyRange = {
      startingHashKey: shard?.HashKeyRange?.StartingHashKey as string,
      endingHashKey: shard?.HashKeyRange?.EndingHashKey as string,
    }
    const small = aggAggregate(
      Array.from({ length: 7 }, (_, i) => ({
        partitionKey: i % 3 === 0 ? 'shared' : `own-${i}`,
        data: i === 4 ? new Uint8Array(0) : bytes(20 + i, 100 + i),
        explicitHashKey: String(1_000 * i),
      })),
    )[0] as AggAggregate
    const second = aggAggregate(
      Array.from({ length: 3 }, (_, i) => ({
        partitionKey: `second-${i}`,
        data: bytes(9, 200 + i),
      })),
    )[0] as AggAggregate
    // Nearly 1 MiB: 2,000 records of 500 bytes.
    const large = aggAggregate(
      Array.from({ length: 2_000 }, (_, i) => ({
        partitionKey: `large-${i % 40}`,
        data: bytes(500, 300 + i),
      })),
    )
    expect(large).toHaveLength(1)
    const items = [
      { kind: 'plain' as const, data: bytes(40, 1), partitionKey: 'plain-0' },
      { kind: 'aggregate' as const, aggregate: small },
      { kind: 'aggregate' as const, aggregate: second },
      { kind: 'plain' as const, data: bytes(40, 2), partitionKey: 'plain-1' },
      { kind: 'aggregate' as const, aggregate: large[0] as AggAggregate },
      { kind: 'plain' as const, data: bytes(40, 3), partitionKey: 'plain-2' },
    ]
    // One at a time: each put is its own Kinesis record, in this order.
    const puts: PutResult[] = []
    for (const item of items) {
      const [put] = await putRecords(client, stream, [
        item.kind === 'plain'
          ? { data: item.data, partitionKey: item.partitionKey }
          : {
              data: item.aggregate.data,
              partitionKey: item.aggregate.partitionKey,
              ...(item.aggregate.explicitHashKey === undefined
                ? {}
                : { explicitHashKey: item.aggregate.explicitHashKey }),
            },
      ])
      puts.push(put as PutResult)
    }
    expected = []
    aggregates = []
    items.forEach((item, i) => {
      const put = puts[i] as PutResult
      if (item.kind === 'plain') {
        expected.push(
          fromInput({ partitionKey: item.partitionKey, data: item.data }, 0, put.sequenceNumber),
        )
      } else {
        aggregates.push({ aggregate: item.aggregate, put })
        // The reference decoder's view of what was put, with the sequence number Kinesis gave it.
        for (const user of aggDeaggregate({
          Data: item.aggregate.data,
          PartitionKey: item.aggregate.partitionKey,
          SequenceNumber: put.sequenceNumber,
        }))
          expected.push(fromAgg(user))
      }
    })
  })
  afterAll(async () => {
    client?.destroy()
    await kinesis?.stop()
  })

  async function readFrom(position: ConstructorParameters<typeof ShardReader>[0]['position']) {
    const reader = new ShardReader({
      client,
      streamName: stream,
      shardId,
      position,
      hashKeyRange,
      idleWaitMs: 20,
      signal: AbortSignal.timeout(30_000),
    })
    const records: KineRecord[] = []
    for await (const batch of reader) {
      records.push(...batch.records)
      // Caught up: an empty batch at the tip (kinesalite reads to the end in one call here).
      if (batch.records.length === 0 || batch.shardEnded) break
    }
    return records
  }

  it('reads every user record from TRIM_HORIZON as the reference decoder sees them', async () => {
    const records = await readFrom('TRIM_HORIZON')
    expect(records.map(fromKine)).toEqual(expected)
    expect(records).toHaveLength(3 + 7 + 3 + 2_000)
  })

  it('from AFTER_CHECKPOINT at each sub-sequence k of an aggregate, delivers exactly the records after k', async () => {
    for (const { aggregate, put } of aggregates.slice(0, 2)) {
      const first = expected.findIndex((r) => r.sequenceNumber === put.sequenceNumber)
      for (let k = 0; k < aggregate.inputs.length; k++) {
        const records = await readFrom({
          type: 'AFTER_CHECKPOINT',
          sequenceNumber: put.sequenceNumber,
          subSequenceNumber: k,
        })
        expect(records.map(fromKine), `checkpoint at ${put.sequenceNumber}/${k}`).toEqual(
          expected.slice(first + k + 1),
        )
      }
    }
  })

  it('from AFTER_CHECKPOINT inside the 1 MiB aggregate: first, middle, next to last and last sub-sequence', async () => {
    const { aggregate, put } = aggregates[2] as { aggregate: AggAggregate; put: PutResult }
    const first = expected.findIndex((r) => r.sequenceNumber === put.sequenceNumber)
    const n = aggregate.inputs.length
    for (const k of [0, 1_000, n - 2, n - 1]) {
      const records = await readFrom({
        type: 'AFTER_CHECKPOINT',
        sequenceNumber: put.sequenceNumber,
        subSequenceNumber: k,
      })
      const want = expected.slice(first + k + 1)
      expect(records).toHaveLength(want.length)
      expect(records.map(fromKine), `checkpoint at sub-sequence ${k}`).toEqual(want)
    }
  })
})
