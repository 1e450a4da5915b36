// The Kinesis contract the lease worker relies on, run as one suite against three engines: the
// in-memory Kinesis of @kine/core/testing, kinesalite and kinesis-local, so the in-memory one is
// held to what the emulators do. Each test uses its own stream. Where the emulators differ (only
// kinesis-local sends ChildShards), the assertion names the engine.

import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  MergeShardsCommand,
  SplitShardCommand,
  type GetRecordsCommandOutput,
  type KinesisClient,
  type Shard,
  type ShardFilter,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis'
import {
  createStream,
  kinesisClient,
  putRecords,
  startKinesis,
  waitForStreamActive,
  type LocalKinesis,
} from '@kine-tools/local'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { awsErrorName } from '../src/aws-errors.js'
import { InMemoryKinesis } from '../src/testing/index.js'

type Engine = 'in-memory' | 'kinesalite' | 'kinesis-local'

/** What the suite does to a stream, on each engine. */
interface Engine_ {
  readonly client: KinesisClient
  createStream(name: string, shards: number): Promise<void>
  put(name: string, data: string, partitionKey: string): Promise<string>
  split(name: string, shard: Shard): Promise<void>
  merge(name: string, a: string, b: string): Promise<void>
  stop(): Promise<void>
}

let nextStream = 0
const streamName = (): string => `contract-${process.pid}-${++nextStream}`

const middle = (shard: Shard): string =>
  (
    (BigInt(shard.HashKeyRange?.StartingHashKey ?? '0') +
      BigInt(shard.HashKeyRange?.EndingHashKey ?? '0')) /
    2n
  ).toString()

async function start(engine: Engine): Promise<Engine_> {
  if (engine === 'in-memory') {
    const kinesis = new InMemoryKinesis()
    return {
      client: kinesis.asClient(),
      createStream: (name, shards) => Promise.resolve(kinesis.createStream(name, shards)),
      put: (name, data, partitionKey) =>
        Promise.resolve(kinesis.putRecord(name, data, { partitionKey }).sequenceNumber),
      split: (name, shard) => {
        kinesis.splitShard(name, shard.ShardId ?? '', middle(shard))
        return Promise.resolve()
      },
      merge: (name, a, b) => {
        kinesis.mergeShards(name, a, b)
        return Promise.resolve()
      },
      stop: () => Promise.resolve(),
    }
  }
  const local: LocalKinesis = await startKinesis({
    engine,
    durations: { SPLIT_SHARD_DURATION: '100ms', MERGE_SHARDS_DURATION: '100ms' },
  })
  const client = kinesisClient(local.endpoint)
  return {
    client,
    createStream: (name, shards) => createStream(client, name, shards),
    put: async (name, data, partitionKey) =>
      ((await putRecords(client, name, [{ data, partitionKey }]))[0] as { sequenceNumber: string })
        .sequenceNumber,
    split: async (name, shard) => {
      await client.send(
        new SplitShardCommand({
          StreamName: name,
          ShardToSplit: shard.ShardId,
          NewStartingHashKey: middle(shard),
        }),
      )
      await waitForStreamActive(client, name)
    },
    merge: async (name, a, b) => {
      await client.send(
        new MergeShardsCommand({ StreamName: name, ShardToMerge: a, AdjacentShardToMerge: b }),
      )
      await waitForStreamActive(client, name)
    },
    stop: async () => {
      client.destroy()
      await local.stop()
    },
  }
}

async function listAll(
  client: KinesisClient,
  name: string,
  filter?: ShardFilter,
  pageSize = 1000,
): Promise<Shard[]> {
  const shards: Shard[] = []
  let token: string | undefined
  do {
    const page = await client.send(
      new ListShardsCommand(
        token !== undefined
          ? { NextToken: token, MaxResults: pageSize }
          : { StreamName: name, MaxResults: pageSize, ...(filter ? { ShardFilter: filter } : {}) },
      ),
    )
    expect(Array.isArray(page.Shards)).toBe(true)
    shards.push(...(page.Shards ?? []))
    token = page.NextToken
  } while (token !== undefined)
  return shards
}

async function iterator(
  client: KinesisClient,
  name: string,
  shardId: string,
  type: ShardIteratorType,
  sequenceNumber?: string,
): Promise<string> {
  const out = await client.send(
    new GetShardIteratorCommand({
      StreamName: name,
      ShardId: shardId,
      ShardIteratorType: type,
      ...(sequenceNumber !== undefined ? { StartingSequenceNumber: sequenceNumber } : {}),
    }),
  )
  expect(typeof out.ShardIterator).toBe('string')
  return out.ShardIterator as string
}

const text = (data: Uint8Array | undefined): string => new TextDecoder().decode(data)

/** Reads from `it` until a response has no NextShardIterator or `max` responses came back empty. */
async function readAll(
  client: KinesisClient,
  it: string,
  limit = 10_000,
): Promise<{ data: string[]; sequences: string[]; last: GetRecordsCommandOutput }> {
  const data: string[] = []
  const sequences: string[] = []
  let empty = 0
  for (let next: string | undefined = it; ;) {
    const out: GetRecordsCommandOutput = await client.send(
      new GetRecordsCommand({ ShardIterator: next, Limit: limit }),
    )
    expect(out.Records?.length ?? 0).toBeLessThanOrEqual(limit)
    for (const r of out.Records ?? []) {
      data.push(text(r.Data))
      sequences.push(r.SequenceNumber ?? '')
    }
    if ((out.Records ?? []).length === 0) empty++
    next = out.NextShardIterator
    if (next === undefined || next === null || empty >= 3) return { data, sequences, last: out }
  }
}

const ascending = (sequences: readonly string[]): boolean =>
  sequences.every((s, i) => i === 0 || BigInt(sequences[i - 1] as string) < BigInt(s))

const ENGINES: Engine[] = ['in-memory', 'kinesalite', 'kinesis-local']

describe.each(ENGINES)('the Kinesis contract on %s', (engine) => {
  let e: Engine_
  beforeAll(async () => {
    e = await start(engine)
  }, 120_000)
  afterAll(async () => {
    await e?.stop()
  })

  it('describes an active stream and refuses an unknown one with ResourceNotFoundException', async () => {
    const name = streamName()
    await e.createStream(name, 2)
    const out = await e.client.send(new DescribeStreamSummaryCommand({ StreamName: name }))
    expect(out.StreamDescriptionSummary?.StreamStatus).toBe('ACTIVE')
    expect(out.StreamDescriptionSummary?.StreamName).toBe(name)
    expect(out.StreamDescriptionSummary?.OpenShardCount).toBe(2)
    const error = await e.client
      .send(new DescribeStreamSummaryCommand({ StreamName: `${name}-missing` }))
      .catch((err: unknown) => err)
    expect(awsErrorName(error)).toBe('ResourceNotFoundException')
  })

  it('lists every shard across pages, tiling the hash-key space', async () => {
    const name = streamName()
    await e.createStream(name, 3)
    const shards = await listAll(e.client, name, undefined, 1)
    expect(shards.map((s) => s.ShardId)).toEqual([
      'shardId-000000000000',
      'shardId-000000000001',
      'shardId-000000000002',
    ])
    const ranges = shards.map((s) => [
      BigInt(s.HashKeyRange?.StartingHashKey ?? '-1'),
      BigInt(s.HashKeyRange?.EndingHashKey ?? '-1'),
    ])
    expect(ranges[0]?.[0]).toBe(0n)
    expect(ranges[2]?.[1]).toBe((1n << 128n) - 1n)
    expect(ranges[1]?.[0]).toBe((ranges[0]?.[1] ?? 0n) + 1n)
    expect(ranges[2]?.[0]).toBe((ranges[1]?.[1] ?? 0n) + 1n)
    for (const s of shards) expect(s.SequenceNumberRange?.EndingSequenceNumber).toBeUndefined()
  })

  it('reads in order with Limit, from TRIM_HORIZON, AT and AFTER a sequence number, and LATEST', async () => {
    const name = streamName()
    await e.createStream(name, 1)
    const sequences: string[] = []
    for (let i = 0; i < 5; i++) sequences.push(await e.put(name, `r${i}`, 'key'))
    expect(ascending(sequences)).toBe(true)
    const shard = 'shardId-000000000000'

    const first = await e.client.send(
      new GetRecordsCommand({
        ShardIterator: await iterator(e.client, name, shard, 'TRIM_HORIZON'),
        Limit: 2,
      }),
    )
    expect(first.Records?.map((r) => text(r.Data))).toEqual(['r0', 'r1'])
    expect(typeof first.NextShardIterator).toBe('string')
    expect(typeof first.MillisBehindLatest).toBe('number')
    const rest = await readAll(e.client, first.NextShardIterator as string)
    expect(rest.data).toEqual(['r2', 'r3', 'r4'])
    expect(typeof rest.last.NextShardIterator).toBe('string')

    const at = await readAll(
      e.client,
      await iterator(e.client, name, shard, 'AT_SEQUENCE_NUMBER', sequences[2]),
    )
    expect(at.data).toEqual(['r2', 'r3', 'r4'])
    const after = await readAll(
      e.client,
      await iterator(e.client, name, shard, 'AFTER_SEQUENCE_NUMBER', sequences[2]),
    )
    expect(after.data).toEqual(['r3', 'r4'])

    const latest = await iterator(e.client, name, shard, 'LATEST')
    await e.put(name, 'r5', 'key')
    expect((await readAll(e.client, latest)).data).toEqual(['r5'])
  })

  it('refuses an unknown shard with ResourceNotFoundException', async () => {
    const name = streamName()
    await e.createStream(name, 1)
    const error = await iterator(e.client, name, 'shardId-000000000099', 'TRIM_HORIZON').catch(
      (err: unknown) => err,
    )
    expect(awsErrorName(error)).toBe('ResourceNotFoundException')
  })

  it('closes a split shard: its records, then an end without NextShardIterator; children after it', async () => {
    const name = streamName()
    await e.createStream(name, 1)
    const before = [await e.put(name, 'a', 'k1'), await e.put(name, 'b', 'k2')]
    const [parent] = await listAll(e.client, name)
    await e.split(name, parent as Shard)
    const shards = await listAll(e.client, name)
    const closed = shards.find((s) => s.ShardId === 'shardId-000000000000')
    expect(closed?.SequenceNumberRange?.EndingSequenceNumber).toBeDefined()
    const children = shards.filter((s) => s.ParentShardId === 'shardId-000000000000')
    expect(children.map((c) => c.ShardId)).toEqual(['shardId-000000000001', 'shardId-000000000002'])
    expect(children[0]?.HashKeyRange?.StartingHashKey).toBe('0')
    expect(BigInt(children[1]?.HashKeyRange?.StartingHashKey ?? '0')).toBe(
      BigInt(children[0]?.HashKeyRange?.EndingHashKey ?? '0') + 1n,
    )
    // The children are found after the parent, as the worker asks at a shard's end.
    const after = await listAll(e.client, name, {
      Type: 'AFTER_SHARD_ID',
      ShardId: 'shardId-000000000000',
    })
    expect(after.map((s) => s.ShardId)).toEqual(
      expect.arrayContaining(['shardId-000000000001', 'shardId-000000000002']),
    )

    const read = await readAll(
      e.client,
      await iterator(e.client, name, 'shardId-000000000000', 'TRIM_HORIZON'),
    )
    expect(read.data).toEqual(['a', 'b'])
    expect(read.last.NextShardIterator ?? undefined).toBeUndefined()
    expect(Array.isArray(read.last.Records)).toBe(true)
    if (engine !== 'kinesalite') {
      expect(read.last.ChildShards?.map((c) => [c.ShardId, c.ParentShards])).toEqual([
        ['shardId-000000000001', ['shardId-000000000000']],
        ['shardId-000000000002', ['shardId-000000000000']],
      ])
    }
    const later = await e.put(name, 'c', 'k1')
    expect(BigInt(later)).toBeGreaterThan(BigInt(before[1] as string))
  })

  it('merges two adjacent shards into a child naming both parents', async () => {
    const name = streamName()
    await e.createStream(name, 2)
    await e.merge(name, 'shardId-000000000000', 'shardId-000000000001')
    const shards = await listAll(e.client, name)
    const child = shards.find((s) => s.ShardId === 'shardId-000000000002')
    expect([child?.ParentShardId, child?.AdjacentParentShardId].sort()).toEqual([
      'shardId-000000000000',
      'shardId-000000000001',
    ])
    expect(child?.HashKeyRange?.StartingHashKey).toBe('0')
    expect(child?.HashKeyRange?.EndingHashKey).toBe(((1n << 128n) - 1n).toString())
    const open = await listAll(e.client, name, { Type: 'AT_LATEST' })
    expect(open.map((s) => s.ShardId)).toContain('shardId-000000000002')
  })
})
