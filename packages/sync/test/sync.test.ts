// Sync against kinesis-local + dynalite: the table follows the stream's lineage in the KCL format.
import { MergeShardsCommand, UpdateShardCountCommand } from '@aws-sdk/client-kinesis'
import { createStream, dynamoClient, waitForStreamActive } from '@kine-tools/local'
import {
  allShards,
  newStream,
  readLeases,
  splitInHalf,
  uniqueName,
  useEnv,
} from '@kine-tools/testkit'
import { InvalidConfigError } from '@kine/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { Sync } from '../src/index.js'
import { newSync } from './helpers.js'

const env = useEnv()

/** Asserts the table holds exactly one lease per shard, linked as the listing says, in KCL types. */
async function expectTableMatchesStream(stream: string, table: string): Promise<void> {
  const shards = await allShards(env.kinesis, stream)
  const { leases, items } = await readLeases(env.dynamodb, table)
  expect([...leases.keys()].sort()).toEqual(shards.map((s) => s.ShardId).sort())
  for (const shard of shards) {
    const lease = leases.get(shard.ShardId!)!
    const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter(Boolean)
    expect([...lease.parentShardIds].sort(), `parents of ${shard.ShardId}`).toEqual(parents.sort())
    const children = shards
      .filter((c) => c.ParentShardId === shard.ShardId || c.AdjacentParentShardId === shard.ShardId)
      .map((c) => c.ShardId)
    expect([...lease.childShardIds].sort(), `children of ${shard.ShardId}`).toEqual(children.sort())
    expect(lease.startingHashKey).toBe(shard.HashKeyRange!.StartingHashKey)
    expect(lease.endingHashKey).toBe(shard.HashKeyRange!.EndingHashKey)
    expect(lease.leaseOwner).toBeUndefined()
  }
  for (const item of items) {
    // The Java KCL's attribute names and types.
    expect(Object.keys(item.leaseKey as object)).toEqual(['S'])
    expect(Object.keys(item.leaseCounter as object)).toEqual(['N'])
    expect(Object.keys(item.checkpoint as object)).toEqual(['S'])
    expect(Object.keys(item.checkpointSubSequenceNumber as object)).toEqual(['N'])
    expect(Object.keys(item.ownerSwitchesSinceCheckpoint as object)).toEqual(['N'])
    if ('parentShardId' in item) expect(Object.keys(item.parentShardId as object)).toEqual(['SS'])
    if ('childShardIds' in item) expect(Object.keys(item.childShardIds as object)).toEqual(['SS'])
  }
}

describe('Sync on a resharded stream', () => {
  const stream = uniqueName('orders')
  const table = uniqueName('orders-app')
  let sync: Sync
  const recorded: { name: string; value: number; dimensions: object }[] = []

  beforeAll(async () => {
    await createStream(env.kinesis, stream, 4)
    const metrics = {
      record: (name: string, value: number, _unit: string, dimensions: object) =>
        void recorded.push({ name, value, dimensions }),
    }
    sync = newSync(env, stream, table, { gracePeriodMs: 3_600_000, metrics })
    await sync.init()
  })

  it('first pass leases the 4 shards at TRIM_HORIZON', async () => {
    const result = await sync.syncOnce()
    expect(result.created).toHaveLength(4)
    await expectTableMatchesStream(stream, table)
    const { leases } = await readLeases(env.dynamodb, table)
    expect(
      [...leases.values()].every((l) => l.checkpoint === 'TRIM_HORIZON' && l.leaseCounter === 0),
    ).toBe(true)
    expect(await sync.syncOnce()).toEqual({
      created: [],
      linked: [],
      ended: [],
      deleted: [],
      absent: [],
    })
    expect(recorded.filter((r) => r.name === 'Sync.Created')).toEqual([
      { name: 'Sync.Created', value: 4, dimensions: { StreamName: stream } },
      { name: 'Sync.Created', value: 0, dimensions: { StreamName: stream } },
    ])
  })

  it('follows a split: two children at TRIM_HORIZON, the parent linked to them', async () => {
    const [first] = await allShards(env.kinesis, stream)
    await splitInHalf(env.kinesis, stream, first!)
    const result = await sync.syncOnce()
    expect(result.created).toHaveLength(2)
    expect(result.linked).toEqual([first!.ShardId])
    await expectTableMatchesStream(stream, table)
  })

  it('follows a merge: one child with both parents', async () => {
    const open = (await allShards(env.kinesis, stream)).filter(
      (s) => !s.SequenceNumberRange?.EndingSequenceNumber,
    )
    // Two open shards whose hash ranges touch.
    const sorted = open.sort((a, b) =>
      BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1,
    )
    const [a, b] = [sorted[sorted.length - 2]!, sorted[sorted.length - 1]!]
    await env.kinesis.send(
      new MergeShardsCommand({
        StreamName: stream,
        ShardToMerge: a.ShardId,
        AdjacentShardToMerge: b.ShardId,
      }),
    )
    await waitForStreamActive(env.kinesis, stream)
    const result = await sync.syncOnce()
    expect(result.created).toHaveLength(1)
    const { leases } = await readLeases(env.dynamodb, table)
    expect([...leases.get(result.created[0]!)!.parentShardIds].sort()).toEqual(
      [a.ShardId, b.ShardId].sort(),
    )
    await expectTableMatchesStream(stream, table)
  })

  it('follows UpdateShardCount', async () => {
    await env.kinesis.send(
      new UpdateShardCountCommand({
        StreamName: stream,
        TargetShardCount: 6,
        ScalingType: 'UNIFORM_SCALING',
      }),
    )
    await waitForStreamActive(env.kinesis, stream)
    const result = await sync.syncOnce()
    expect(result.created.length).toBeGreaterThan(0)
    await expectTableMatchesStream(stream, table)
    const { leases } = await readLeases(env.dynamodb, table)
    for (const id of result.created) expect(leases.get(id)!.checkpoint).toBe('TRIM_HORIZON')
  })
})

describe('Sync first pass positions', () => {
  it('LATEST leases only the open shards; later children start at TRIM_HORIZON', async () => {
    const { stream, table } = await newStream(env, 'latest', 2)
    const [first] = await allShards(env.kinesis, stream)
    await splitInHalf(env.kinesis, stream, first!)
    const sync = newSync(env, stream, table, { initialPosition: 'LATEST' })
    await sync.init()
    const first_ = await sync.syncOnce()
    expect(first_.created.sort()).toEqual(
      (await allShards(env.kinesis, stream))
        .filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber)
        .map((s) => s.ShardId)
        .sort(),
    )
    const { leases } = await readLeases(env.dynamodb, table)
    expect([...leases.values()].every((l) => l.checkpoint === 'LATEST')).toBe(true)
    // The closed parent skipped by LATEST is never created by a later pass (rule 11 of
    // docs/lease-protocol.md).
    expect((await sync.syncOnce()).created).toEqual([])
    expect((await readLeases(env.dynamodb, table)).leases.has(first!.ShardId!)).toBe(false)
  })

  it('AT_TIMESTAMP writes the AT_TIMESTAMP sentinel', async () => {
    const { stream, table } = await newStream(env, 'ts', 2)
    const sync = newSync(env, stream, table, { initialPosition: { timestamp: new Date() } })
    await sync.init()
    expect((await sync.syncOnce()).created).toHaveLength(2)
    const { leases } = await readLeases(env.dynamodb, table)
    expect([...leases.values()].map((l) => l.checkpoint)).toEqual(['AT_TIMESTAMP', 'AT_TIMESTAMP'])
  })
})

describe('Sync with many shards', () => {
  it('syncs 250 shards read in pages of 7', async () => {
    const { stream, table } = await newStream(env, 'wide', 250)
    const sync = newSync(env, stream, table, { pageSize: 7 })
    await sync.init()
    expect((await sync.syncOnce()).created).toHaveLength(250)
    await expectTableMatchesStream(stream, table)
  })
})

describe('Sync errors and lifecycle', () => {
  it('init() and start() reject with STREAM_NOT_FOUND for a stream that does not exist', async () => {
    const sync = newSync(env, uniqueName('missing'), uniqueName('t'), { initialPosition: 'LATEST' })
    await expect(sync.init()).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' })
    const again = newSync(env, uniqueName('missing'), uniqueName('t'), {
      initialPosition: 'LATEST',
    })
    await expect(again.start()).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' })
  })

  it('rejects bad options with one error listing every problem', () => {
    expect(
      () =>
        new Sync({
          streamName: '',
          tableName: '',
          kinesis: {} as never,
          dynamodb: env.dynamodb,
          initialPosition: 'NOW' as never,
          intervalMs: -1,
          shardGoneConfirmMs: -5,
        }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        problems: expect.arrayContaining([
          expect.stringMatching(/streamName/),
          expect.stringMatching(/tableName/),
          expect.stringMatching(/kinesis/),
          expect.stringMatching(/initialPosition/),
          expect.stringMatching(/intervalMs/),
          expect.stringMatching(/shardGoneConfirmMs/),
        ]) as unknown,
      }),
    )
  })

  it('retries transient DynamoDB failures in its loop instead of failing', async () => {
    const { stream, table } = await newStream(env, 'flaky', 2)
    await newSync(env, stream, table).init()
    // Fault injection: a client of the test's own whose first 6 Scans fail as a 503 would.
    const flaky = dynamoClient(env.dynamoEndpoint)
    let failures = 6
    flaky.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ScanCommand' && failures > 0) {
          failures--
          throw Object.assign(new Error('Service Unavailable'), {
            name: 'ServiceUnavailable',
            $metadata: { httpStatusCode: 503 },
            $retryable: {},
          })
        }
        return next(args)
      },
      { step: 'initialize' },
    )
    const sync = newSync(env, stream, table, { dynamodb: flaky, intervalMs: 100 })
    await sync.start()
    await expect
      .poll(async () => (await readLeases(env.dynamodb, table)).leases.size, {
        timeout: 10_000,
        interval: 100,
      })
      .toBe(2)
    expect(failures).toBe(0)
    await sync.stop()
    flaky.destroy()
  })

  it('start() syncs, keeps syncing new shards in its loop, and stop() ends it', async () => {
    const { stream, table } = await newStream(env, 'loop', 1)
    const controller = new AbortController()
    const sync = newSync(env, stream, table, { intervalMs: 200, signal: controller.signal })
    await sync.start()
    expect((await readLeases(env.dynamodb, table)).leases.size).toBe(1)
    const [only] = await allShards(env.kinesis, stream)
    await splitInHalf(env.kinesis, stream, only!)
    await expect
      .poll(async () => (await readLeases(env.dynamodb, table)).leases.size, {
        timeout: 5_000,
        interval: 100,
      })
      .toBe(3)
    controller.abort()
    await sync.stop()
    const restart = await sync.start().catch((e: unknown) => e)
    expect(restart).toBeInstanceOf(InvalidConfigError)
    expect((restart as Error).message).toMatch(/stopped/)
  })
})
