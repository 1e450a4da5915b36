import {
  aggregateRecords,
  corruptAggregate,
  encodeAggregatedRecord,
  frameAggregate,
  type KplUserRecord,
} from '@kine-tools/local'
import { describe, expect, it } from 'vitest'
import { InvalidConfigError } from './errors.js'
import { partitionKeyHashKey } from './hash-key.js'
import { deaggregate, deaggregateInto, isAggregated } from './kpl-deaggregate.js'
import type { KineRecord } from './record.js'
import { comparePositions } from './sequence-number.js'

const SHARD = 'shardId-000000000001'
const SEQ = '49590338271490256608559692538361571095921575989136588898'
const ARRIVAL = new Date('2024-05-01T12:00:00.000Z')
const text = new TextDecoder()
const utf8 = new TextEncoder()
const MAX_STR = '340282366920938463463374607431768211455' // 2^128 - 1

function kinesisRecord(data: Uint8Array, partitionKey = 'outer-key') {
  return {
    Data: data,
    PartitionKey: partitionKey,
    SequenceNumber: SEQ,
    ApproximateArrivalTimestamp: ARRIVAL,
  }
}

// Upper half of the hash-key space, as after splitting a one-shard stream in two.
const LOWER = { startingHashKey: '0', endingHashKey: '170141183460469231731687303715884105727' }
const UPPER = {
  startingHashKey: '170141183460469231731687303715884105728',
  endingHashKey: '340282366920938463463374607431768211455',
}
const inLower = (pk: string) => partitionKeyHashKey(pk) < 1n << 127n

function expectPlain(records: KineRecord[], data: Uint8Array, partitionKey = 'outer-key') {
  expect(records).toHaveLength(1)
  const [r] = records
  expect(r?.data).toBe(data) // the same bytes object, not a copy
  expect(r).toEqual({
    data,
    partitionKey,
    sequenceNumber: SEQ,
    subSequenceNumber: 0,
    approximateArrivalTimestamp: ARRIVAL,
    aggregated: false,
    shardId: SHARD,
  })
}

describe('deaggregate', () => {
  it('returns the user records of an aggregate in order, with their keys and sub-sequence numbers', () => {
    const users: KplUserRecord[] = [
      { data: 'first', partitionKey: 'pk-a' },
      { data: Uint8Array.of(0, 1, 2, 255), partitionKey: 'pk-b', explicitHashKey: '12345' },
      { data: '', partitionKey: 'pk-a' },
      { data: 'ünïcödé', partitionKey: 'pk-c', explicitHashKey: MAX_STR },
    ]
    const agg = aggregateRecords(users)
    const out = deaggregate(kinesisRecord(agg.data, agg.partitionKey), SHARD)

    expect(out.map((r) => r.subSequenceNumber)).toEqual([0, 1, 2, 3])
    expect(out.map((r) => r.partitionKey)).toEqual(['pk-a', 'pk-b', 'pk-a', 'pk-c'])
    expect(out.map((r) => r.explicitHashKey)).toEqual([undefined, '12345', undefined, MAX_STR])
    expect(out.map((r) => 'explicitHashKey' in r)).toEqual([false, true, false, true])
    expect(text.decode(out[0]?.data)).toBe('first')
    expect([...(out[1]?.data ?? [])]).toEqual([0, 1, 2, 255])
    expect(out[2]?.data).toHaveLength(0)
    expect(text.decode(out[3]?.data)).toBe('ünïcödé')
    for (const r of out) {
      expect(r.aggregated).toBe(true)
      expect(r.sequenceNumber).toBe(SEQ)
      expect(r.approximateArrivalTimestamp).toBe(ARRIVAL)
      expect(r.shardId).toBe(SHARD)
      // a view into the aggregate's bytes, not a copy
      expect(r.data.buffer).toBe(agg.data.buffer)
    }
  })

  it('reads an aggregate held in a Node Buffer as well as in a plain Uint8Array', () => {
    const agg = aggregateRecords([
      { data: 'x', partitionKey: 'p1' },
      { data: 'yz', partitionKey: 'p2' },
    ])
    const buffer = Buffer.from(agg.data)
    const out = deaggregate(kinesisRecord(buffer), SHARD)
    expect(out.map((r) => text.decode(r.data))).toEqual(['x', 'yz'])
    expect(out.map((r) => r.partitionKey)).toEqual(['p1', 'p2'])
  })

  it('hands a plain record through untouched: same bytes object, sub-sequence 0, not aggregated', () => {
    const data = utf8.encode('{"hello":"world"}')
    expectPlain(deaggregate(kinesisRecord(data), SHARD), data)
    // the range filter applies to user records only, never to a plain record
    const upperKey = ['k1', 'k2', 'k3', 'k4', 'k5'].find((k) => !inLower(k)) ?? ''
    expectPlain(deaggregate(kinesisRecord(data, upperKey), SHARD, LOWER), data, upperKey)
  })

  it('hands through records that only look like aggregates', () => {
    const agg = aggregateRecords([{ data: 'a', partitionKey: 'p' }])
    const cases: Record<string, Uint8Array> = {
      'bad digest': corruptAggregate(agg.data, 'digest'),
      'wrong magic': corruptAggregate(agg.data, 'magic'),
      'truncated protobuf (digest valid)': corruptAggregate(agg.data, 'truncated-protobuf'),
      'magic only': agg.data.slice(0, 4),
      'magic and part of a digest': agg.data.slice(0, 12),
      'cut short': agg.data.slice(0, agg.data.length - 1),
      'protobuf that is not an AggregatedRecord': frameAggregate(Uint8Array.of(0xff, 0xff, 0xff)),
      empty: new Uint8Array(0),
    }
    for (const [name, data] of Object.entries(cases)) {
      let out: KineRecord[] = []
      expect(() => (out = deaggregate(kinesisRecord(data), SHARD)), name).not.toThrow()
      expect(out, name).toHaveLength(1)
      expect(out[0]?.data, name).toBe(data)
      expect(out[0]?.aggregated, name).toBe(false)
    }
  })

  it('hands through an aggregate with a valid digest whose content is malformed', () => {
    const frame = (m: Parameters<typeof encodeAggregatedRecord>[0]) =>
      frameAggregate(encodeAggregatedRecord(m))
    const d = utf8.encode('payload')
    const cases: Record<string, Uint8Array> = {
      'partition key index past the table': frame({
        partitionKeyTable: ['p'],
        records: [
          { partitionKeyIndex: 0, data: d },
          { partitionKeyIndex: 1, data: d },
        ],
      }),
      'explicit hash key index past the table': frame({
        partitionKeyTable: ['p'],
        explicitHashKeyTable: ['1'],
        records: [{ partitionKeyIndex: 0, explicitHashKeyIndex: 3, data: d }],
      }),
      'index beyond 2^32 that would alias a valid one': frame({
        partitionKeyTable: ['p'],
        records: [{ partitionKeyIndex: 2 ** 32, data: d }],
      }),
      'missing required partition key index': frame({
        partitionKeyTable: ['p'],
        records: [{ data: d }],
      }),
      'missing required data': frame({
        partitionKeyTable: ['p'],
        records: [{ partitionKeyIndex: 0 }],
      }),
      'tag without its required key': frame({
        partitionKeyTable: ['p'],
        records: [{ partitionKeyIndex: 0, data: d, tags: [{ value: 'v' }] }],
      }),
    }
    for (const [name, data] of Object.entries(cases)) {
      const out = deaggregate(kinesisRecord(data), SHARD)
      expect(out, name).toHaveLength(1)
      expect(out[0]?.data, name).toBe(data)
      expect(out[0]?.aggregated, name).toBe(false)
    }
  })

  it('skips tags, which the format allows on user records', () => {
    const data = frameAggregate(
      encodeAggregatedRecord({
        partitionKeyTable: ['p'],
        records: [
          {
            partitionKeyIndex: 0,
            data: utf8.encode('tagged'),
            tags: [{ key: 'k', value: 'v' }, { key: 'only-key' }],
          },
        ],
      }),
    )
    const out = deaggregate(kinesisRecord(data), SHARD)
    expect(out).toHaveLength(1)
    expect(text.decode(out[0]?.data)).toBe('tagged')
    expect(out[0]?.aggregated).toBe(true)
  })

  it('drops user records outside the shard hash-key range but keeps their sub-sequence numbers', () => {
    const keys = Array.from({ length: 20 }, (_, i) => `user-${i}`)
    const users: KplUserRecord[] = keys.map((k) => ({ data: k, partitionKey: k }))
    // explicit hash keys win over the partition key's hash
    users.push({
      data: 'ehk-low',
      partitionKey: keys.find((k) => !inLower(k)) ?? '',
      explicitHashKey: '7',
    })
    users.push({
      data: 'ehk-high',
      partitionKey: keys.find(inLower) ?? '',
      explicitHashKey: MAX_STR,
    })
    const agg = aggregateRecords(users)
    const record = kinesisRecord(agg.data)

    const lower = deaggregate(record, SHARD, LOWER)
    const upper = deaggregate(record, SHARD, UPPER)
    const all = deaggregate(record, SHARD)

    const expectedLower = users
      .map((u, i) => ({
        i,
        low: u.explicitHashKey ? BigInt(u.explicitHashKey) < 1n << 127n : inLower(u.partitionKey),
      }))
      .filter((x) => x.low)
      .map((x) => x.i)
    expect(expectedLower.length).toBeGreaterThan(2) // both halves are really exercised
    expect(expectedLower.length).toBeLessThan(users.length - 2)
    expect(lower.map((r) => r.subSequenceNumber)).toEqual(expectedLower)
    expect(lower.map((r) => text.decode(r.data))).toContain('ehk-low')
    expect(upper.map((r) => text.decode(r.data))).toContain('ehk-high')
    expect([...lower, ...upper].map((r) => r.subSequenceNumber).sort((a, b) => a - b)).toEqual(
      all.map((r) => r.subSequenceNumber),
    )
    expect(all.map((r) => r.subSequenceNumber)).toEqual(users.map((_, i) => i))
    for (const r of lower) expect(text.decode(r.data)).toBe(users[r.subSequenceNumber]?.data)
  })

  it('hands through an aggregate whose explicit hash key is not a number when it must filter', () => {
    const data = aggregateRecords([{ data: 'a', partitionKey: 'p', explicitHashKey: 'oops' }]).data
    expect(deaggregate(kinesisRecord(data), SHARD, LOWER)[0]?.aggregated).toBe(false)
  })

  it('rejects a hash-key range that is not one, even for a plain record', () => {
    const bad = { startingHashKey: '10', endingHashKey: 'x' }
    expect(() => deaggregate(kinesisRecord(utf8.encode('plain')), SHARD, bad)).toThrow(
      InvalidConfigError,
    )
  })

  it('delivers nothing for an aggregate with tables but no user records', () => {
    const data = frameAggregate(encodeAggregatedRecord({ partitionKeyTable: ['p'], records: [] }))
    expect(isAggregated(data)).toBe(true)
    expect(deaggregate(kinesisRecord(data), SHARD)).toEqual([])
  })

  it('hands through an aggregate with an empty protobuf, as the KCL does', () => {
    // magic + digest and nothing between: too short for the KCL to treat as an aggregate
    const data = aggregateRecords([]).data
    expect(data).toHaveLength(20)
    expect(isAggregated(data)).toBe(false)
    expectPlain(deaggregate(kinesisRecord(data, 'kpl-aggregate'), SHARD), data, 'kpl-aggregate')
  })

  it('de-aggregates 1,000 user records of 1 KB', () => {
    const users: KplUserRecord[] = Array.from({ length: 1000 }, (_, i) => {
      const data = new Uint8Array(1024).fill(i % 251)
      data[0] = i & 0xff
      data[1] = i >> 8
      return { data, partitionKey: `pk-${i % 37}` }
    })
    const agg = aggregateRecords(users)
    expect(agg.data.length).toBeLessThan(1024 * 1024) // fits one Kinesis record
    const out = deaggregate(kinesisRecord(agg.data), SHARD)
    expect(out).toHaveLength(1000)
    out.forEach((r, i) => {
      expect(r.subSequenceNumber).toBe(i)
      expect(r.partitionKey).toBe(`pk-${i % 37}`)
      expect(r.data).toHaveLength(1024)
      expect((r.data[0] ?? 0) | ((r.data[1] ?? 0) << 8)).toBe(i)
      expect(r.data[1023]).toBe(i % 251)
    })
  })

  it('numbers user records so a resume from a checkpoint inside an aggregate is exact', () => {
    const agg = aggregateRecords(
      Array.from({ length: 5 }, (_, i) => ({ data: `r${i}`, partitionKey: `p${i}` })),
    )
    const out = deaggregate(kinesisRecord(agg.data), SHARD)
    const checkpoint = { sequenceNumber: SEQ, subSequenceNumber: 2 }
    const resumed = out.filter((r) => comparePositions(r, checkpoint) > 0)
    expect(resumed.map((r) => text.decode(r.data))).toEqual(['r3', 'r4'])
  })
})

describe('deaggregateInto', () => {
  it('appends a batch of plain and aggregated records to one array, in order', () => {
    const plain = utf8.encode('plain')
    const agg = aggregateRecords([
      { data: 'u0', partitionKey: 'a' },
      { data: 'u1', partitionKey: 'b' },
    ])
    const out: KineRecord[] = []
    expect(deaggregateInto(kinesisRecord(plain), SHARD, out)).toBe(1)
    expect(deaggregateInto(kinesisRecord(agg.data), SHARD, out)).toBe(2)
    expect(deaggregateInto(kinesisRecord(corruptAggregate(agg.data, 'digest')), SHARD, out)).toBe(1)
    expect(out.map((r) => [r.aggregated, r.subSequenceNumber])).toEqual([
      [false, 0],
      [true, 0],
      [true, 1],
      [false, 0],
    ])
    expect(out[0]?.data).toBe(plain)
  })

  it('leaves nothing of a malformed aggregate behind in the array', () => {
    const bad = frameAggregate(
      encodeAggregatedRecord({
        partitionKeyTable: ['p'],
        records: [
          { partitionKeyIndex: 0, data: utf8.encode('ok') },
          { partitionKeyIndex: 9, data: utf8.encode('bad index') },
        ],
      }),
    )
    const out: KineRecord[] = []
    deaggregateInto(kinesisRecord(utf8.encode('before')), SHARD, out)
    expect(deaggregateInto(kinesisRecord(bad), SHARD, out)).toBe(1)
    expect(out).toHaveLength(2)
    expect(out[1]?.data).toBe(bad)
  })

  it('tolerates fields the SDK types allow to be missing', () => {
    const out: KineRecord[] = []
    deaggregateInto({}, SHARD, out)
    expect(out[0]?.data).toHaveLength(0)
    expect(out[0]?.partitionKey).toBe('')
    expect(out[0]?.approximateArrivalTimestamp).toBeInstanceOf(Date)
  })
})

describe('isAggregated', () => {
  it('tells an aggregate from a plain record and from a corrupted aggregate', () => {
    const agg = aggregateRecords([{ data: 'a', partitionKey: 'p' }])
    expect(isAggregated(agg.data)).toBe(true)
    expect(isAggregated(utf8.encode('plain'))).toBe(false)
    expect(isAggregated(corruptAggregate(agg.data, 'digest'))).toBe(false)
    expect(isAggregated(corruptAggregate(agg.data, 'magic'))).toBe(false)
  })
})
