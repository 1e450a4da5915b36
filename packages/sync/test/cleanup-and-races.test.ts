// Sync's clean-up and its races with other Syncs and with workers, on kinesis-local + dynalite.
// Worker writes are simulated with core's own lease-write builders (what @kine/lease sends).
import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import { ManualClock } from '@kine/core'
import {
  checkpointLeaseInput,
  createLeaseInput,
  isConditionalCheckFailed,
  leaseToItem,
  takeLeaseInput,
} from '@kine/core/lease-table'
import {
  allShards,
  getLease,
  newStream,
  readLeases,
  splitInHalf,
  testLease,
  useEnv,
} from '@kine-tools/testkit'
import { describe, expect, it } from 'vitest'
import { newSync } from './helpers.js'

const env = useEnv()

/** A worker takes a lease and checkpoints it, as @kine/lease would. */
async function workerCheckpoints(
  table: string,
  shardId: string,
  owner: string,
  sequenceNumber: string,
): Promise<void> {
  const seen = (await getLease(env.dynamodb, table, shardId))!
  await env.dynamodb.send(
    new UpdateItemCommand(
      takeLeaseInput(table, {
        leaseKey: shardId,
        owner,
        seenCounter: seen.leaseCounter,
        ...(seen.leaseOwner ? { seenOwner: seen.leaseOwner } : {}),
      }),
    ),
  )
  await env.dynamodb.send(
    new UpdateItemCommand(
      checkpointLeaseInput(table, {
        leaseKey: shardId,
        owner,
        counter: seen.leaseCounter + 1,
        checkpoint: sequenceNumber,
      }),
    ),
  )
}

describe('five Syncs racing', () => {
  it('on a missing table: all succeed, one lease per shard', async () => {
    const { stream, table } = await newStream(env, 'race', 4)
    const syncs = Array.from({ length: 5 }, () => newSync(env, stream, table))
    const results = await Promise.all(
      syncs.map(async (s) => {
        await s.init()
        return s.syncOnce()
      }),
    )
    expect(results.flatMap((r) => r.created).sort()).toEqual(
      (await allShards(env.kinesis, stream)).map((s) => s.ShardId).sort(),
    )
    expect((await readLeases(env.dynamodb, table)).leases.size).toBe(4)
  })

  it('on a table in use: no checkpoint, owner or counter is overwritten, children created once', async () => {
    const { stream, table } = await newStream(env, 'race2', 2)
    const first = newSync(env, stream, table)
    await first.init()
    await first.syncOnce()
    const shards = await allShards(env.kinesis, stream)
    for (const s of shards) await workerCheckpoints(table, s.ShardId!, 'worker-a', '4711')
    const before = await readLeases(env.dynamodb, table)
    await splitInHalf(env.kinesis, stream, shards[0]!)
    const syncs = Array.from({ length: 5 }, () => newSync(env, stream, table))
    const results = await Promise.all(syncs.map((s) => s.syncOnce()))
    expect(results.flatMap((r) => r.created)).toHaveLength(2)
    const after = await readLeases(env.dynamodb, table)
    expect(after.leases.size).toBe(4)
    for (const s of shards) {
      const a = after.leases.get(s.ShardId!)!
      const b = before.leases.get(s.ShardId!)!
      expect({ owner: a.leaseOwner, counter: a.leaseCounter, checkpoint: a.checkpoint }).toEqual({
        owner: 'worker-a',
        counter: b.leaseCounter,
        checkpoint: '4711',
      })
    }
  })
})

describe('clean-up', () => {
  it('ends an unheld lease whose shard left the stream and deletes it after the grace period', async () => {
    const { stream, table } = await newStream(env, 'gone', 1)
    // The table is made by a Sync on the real clock: making it polls, and a manual clock only moves when told.
    await newSync(env, stream, table).init()
    const clock = new ManualClock()
    const sync = newSync(env, stream, table, { clock, gracePeriodMs: 60_000 })
    await sync.init()
    await sync.syncOnce()
    // Shards that aged out of retention: leases in the table, no longer in ListShards.
    const gone = 'shardId-000000000777'
    const goneHeld = 'shardId-000000000778'
    await env.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: leaseToItem(testLease({ leaseKey: gone, checkpoint: '123' })),
      }),
    )
    await env.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: leaseToItem(
          testLease({
            leaseKey: goneHeld,
            checkpoint: '456',
            leaseOwner: 'worker-b',
            leaseCounter: 9,
          }),
        ),
      }),
    )

    // First listing without the shard: only a mark (one listing could be wrong), on the unheld one.
    expect(await sync.syncOnce()).toMatchObject({ ended: [], deleted: [], absent: [gone] })
    expect(await getLease(env.dynamodb, table, gone)).toMatchObject({
      checkpoint: '123',
      shardAbsentSince: clock.wallNow(),
    })
    await clock.advance(9_000)
    expect(await sync.syncOnce()).toMatchObject({ ended: [], deleted: [], absent: [] })
    await clock.advance(1_000)
    // A second listing 10 s (the default) after the first still misses it: gone.
    expect(await sync.syncOnce()).toMatchObject({ ended: [gone], deleted: [] })
    expect((await getLease(env.dynamodb, table, gone))!.checkpoint).toBe('SHARD_END')
    expect(await getLease(env.dynamodb, table, goneHeld)).toMatchObject({
      checkpoint: '456',
      leaseOwner: 'worker-b',
      leaseCounter: 9,
    })
    expect((await sync.syncOnce()).deleted).toEqual([]) // grace period starts
    await clock.advance(59_000)
    expect((await sync.syncOnce()).deleted).toEqual([])
    await clock.advance(2_000)
    expect((await sync.syncOnce()).deleted).toEqual([gone])
    expect(await getLease(env.dynamodb, table, gone)).toBeUndefined()
    // The held one is never touched.
    expect(await getLease(env.dynamodb, table, goneHeld)).toMatchObject({
      checkpoint: '456',
      leaseOwner: 'worker-b',
    })
  })

  it('deletes a finished parent once its children started, and never re-creates it', async () => {
    const { stream, table } = await newStream(env, 'parent', 1)
    const sync = newSync(env, stream, table, { gracePeriodMs: 0 })
    await sync.init()
    await sync.syncOnce()
    const [parent] = await allShards(env.kinesis, stream)
    await splitInHalf(env.kinesis, stream, parent!)
    await sync.syncOnce()
    const children = (await allShards(env.kinesis, stream)).filter(
      (s) => s.ParentShardId === parent!.ShardId,
    )
    expect(children).toHaveLength(2)
    // The worker finishes the parent: SHARD_END, then releases it.
    await workerCheckpoints(table, parent!.ShardId!, 'worker-a', 'SHARD_END')
    await env.dynamodb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { leaseKey: { S: parent!.ShardId! } },
        UpdateExpression: 'REMOVE leaseOwner',
      }),
    )
    expect((await sync.syncOnce()).deleted).toEqual([]) // children not started yet
    for (const c of children) await workerCheckpoints(table, c.ShardId!, 'worker-a', '900')
    expect((await sync.syncOnce()).deleted).toEqual([parent!.ShardId])
    for (let i = 0; i < 2; i++) expect((await sync.syncOnce()).created).toEqual([])
    expect(await getLease(env.dynamodb, table, parent!.ShardId!)).toBeUndefined()
  })
})

describe('a worker and Sync creating the same child lease', () => {
  it('keeps one item with every field, whoever comes first', async () => {
    const { stream, table } = await newStream(env, 'child', 2)
    const sync = newSync(env, stream, table)
    await sync.init()
    await sync.syncOnce()
    const shards = await allShards(env.kinesis, stream)
    for (const s of shards) {
      await splitInHalf(env.kinesis, stream, s)
    }
    const all = await allShards(env.kinesis, stream)
    const [a, b] = all.filter((s) => s.ParentShardId === shards[0]!.ShardId)
    // The worker that finished the parent creates child `a` first (from ChildShards) and takes it.
    const workerChild = testLease({
      leaseKey: a!.ShardId!,
      parentShardIds: [shards[0]!.ShardId!],
      startingHashKey: a!.HashKeyRange!.StartingHashKey!,
      endingHashKey: a!.HashKeyRange!.EndingHashKey!,
    })
    await env.dynamodb.send(new PutItemCommand(createLeaseInput(table, workerChild)))
    await workerCheckpoints(table, a!.ShardId!, 'worker-a', '31337')
    const result = await sync.syncOnce()
    expect(result.created).not.toContain(a!.ShardId)
    expect(await getLease(env.dynamodb, table, a!.ShardId!)).toMatchObject({
      leaseOwner: 'worker-a',
      checkpoint: '31337',
      parentShardIds: [shards[0]!.ShardId],
      startingHashKey: a!.HashKeyRange!.StartingHashKey,
    })
    // Sync created `b`; the worker's late create fails and changes nothing.
    expect(result.created).toContain(b!.ShardId)
    const before = await getLease(env.dynamodb, table, b!.ShardId!)
    const late = await env.dynamodb
      .send(
        new PutItemCommand(
          createLeaseInput(
            table,
            testLease({ leaseKey: b!.ShardId!, parentShardIds: [shards[0]!.ShardId!] }),
          ),
        ),
      )
      .catch((e: unknown) => e)
    expect(isConditionalCheckFailed(late)).toBe(true)
    expect(await getLease(env.dynamodb, table, b!.ShardId!)).toEqual(before)
    expect((await readLeases(env.dynamodb, table)).leases.size).toBe(all.length)
  })
})
