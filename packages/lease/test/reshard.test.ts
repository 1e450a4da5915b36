// Splits and merges while two workers consume (kinesis-local sends ChildShards): every record is
// processed, per-shard order is kept, no child record comes before its parents' last record, and the
// worker writes children before SHARD_END (rule 8 of docs/lease-protocol.md).
import { PutItemCommand } from '@aws-sdk/client-dynamodb'
import { MergeShardsCommand } from '@aws-sdk/client-kinesis'
import { createLeaseInput } from '@kine/core/lease-table'
import { Sync } from '@kine/sync'
import { putRecords, waitForStreamActive } from '@kine-tools/local'
import {
  allShards,
  getLease,
  newStream,
  readLeases,
  splitInHalf,
  testLease,
  useEnv,
  waitFor,
} from '@kine-tools/testkit'
import { describe, expect, it } from 'vitest'
import {
  kclFormatProblems,
  leasedStream,
  orderViolations,
  put,
  Recorder,
  testConsumer,
} from './helpers.js'

const env = useEnv({ durations: { SPLIT_SHARD_DURATION: '100ms', MERGE_SHARDS_DURATION: '100ms' } })

describe('resharding', () => {
  it('split and merge while consuming: all records, in order, parents before children', async () => {
    const { stream, table } = await leasedStream(env, 'reshard', 2)
    const recorder = new Recorder()
    const ended: string[] = []
    const workers = ['r1', 'r2'].map((id) =>
      testConsumer(env, stream, table, recorder, { workerId: id, leaseDurationMs: 2_000 }),
    )
    for (const w of workers) w.consumer.on('shardEnded', (e) => ended.push(e.shardId))
    try {
      for (const w of workers) await w.consumer.start()
      const sent = await put(env, stream, 'before', 30)
      const [s0, s1] = await allShards(env.kinesis, stream)
      await splitInHalf(env.kinesis, stream, s0!)
      sent.push(...(await put(env, stream, 'split', 30)))
      const afterSplit = await allShards(env.kinesis, stream)
      const upper = afterSplit.find(
        (s) =>
          s.ParentShardId === s0!.ShardId &&
          s.HashKeyRange!.EndingHashKey === s0!.HashKeyRange!.EndingHashKey,
      )!
      await env.kinesis.send(
        new MergeShardsCommand({
          StreamName: stream,
          ShardToMerge: upper.ShardId,
          AdjacentShardToMerge: s1!.ShardId,
        }),
      )
      await waitForStreamActive(env.kinesis, stream)
      sent.push(...(await put(env, stream, 'merge', 30)))
      await waitFor('every record', () => sent.every((d) => recorder.distinct().has(d)), 40_000)

      const shards = await allShards(env.kinesis, stream)
      expect(orderViolations(recorder.seen)).toEqual([])
      // No child record before its parents' last one, in the order handlers completed.
      const firstIndex = (id: string): number => recorder.seen.findIndex((s) => s.shardId === id)
      const lastIndex = (id: string): number => recorder.seen.map((s) => s.shardId).lastIndexOf(id)
      let checked = 0
      for (const shard of shards) {
        const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter(
          (p): p is string => p !== undefined,
        )
        if (parents.length === 0 || firstIndex(shard.ShardId!) === -1) continue
        for (const p of parents) {
          expect(
            firstIndex(shard.ShardId!),
            `${shard.ShardId} before its parent ${p}`,
          ).toBeGreaterThan(lastIndex(p))
          checked++
        }
      }
      expect(checked).toBeGreaterThanOrEqual(4) // two split children, and the merge child's two parents
      const { leases, items } = await readLeases(env.dynamodb, table)
      // Golden: the child leases this worker created have the KCL's names and types.
      expect(kclFormatProblems(items)).toEqual([])
      expect(leases.get(s0!.ShardId!)!.checkpoint).toBe('SHARD_END')
      expect(leases.get(s0!.ShardId!)!.childShardIds).toHaveLength(2)
      expect(leases.get(s1!.ShardId!)!.checkpoint).toBe('SHARD_END')
      const merged = shards.find((s) => s.AdjacentParentShardId !== undefined)!
      expect([...leases.get(merged.ShardId!)!.parentShardIds].sort()).toEqual(
        [merged.ParentShardId, merged.AdjacentParentShardId].sort(),
      )
      expect(ended.sort()).toEqual([s0!.ShardId, s1!.ShardId, upper.ShardId].sort())
      expect(recorder.duplicates()).toBe(0)
    } finally {
      await Promise.all(workers.map((w) => w.consumer.stop()))
      for (const w of workers) w.clients.destroy()
    }
  })

  it('leaves a merge child to Sync while its other parent has no lease yet, so that parent is never skipped', async () => {
    const { stream, table } = await newStream(env, 'cutshort', 2)
    const sync = new Sync({
      streamName: stream,
      tableName: table,
      kinesis: env.kinesis,
      dynamodb: env.dynamodb,
      initialPosition: 'TRIM_HORIZON',
    })
    await sync.init()
    const [s0, s1] = await allShards(env.kinesis, stream)
    // A first Sync pass cut short: shard 0's lease was written, shard 1's not yet.
    await env.dynamodb.send(
      new PutItemCommand(
        createLeaseInput(
          table,
          testLease({
            leaseKey: s0!.ShardId!,
            startingHashKey: s0!.HashKeyRange!.StartingHashKey!,
            endingHashKey: s0!.HashKeyRange!.EndingHashKey!,
          }),
        ),
      ),
    )
    const into = (shard: typeof s0, prefix: string) =>
      Array.from({ length: 5 }, (_, i) => ({
        data: `${prefix}-${i}`,
        partitionKey: `${prefix}-${i}`,
        explicitHashKey: shard!.HashKeyRange!.StartingHashKey!,
      }))
    await putRecords(env.kinesis, stream, [...into(s0, 'left'), ...into(s1, 'right')])
    await env.kinesis.send(
      new MergeShardsCommand({
        StreamName: stream,
        ShardToMerge: s0!.ShardId,
        AdjacentShardToMerge: s1!.ShardId,
      }),
    )
    await waitForStreamActive(env.kinesis, stream)
    const child = (await allShards(env.kinesis, stream)).find((s) => s.AdjacentParentShardId)!
    await putRecords(env.kinesis, stream, into(child, 'merged'))

    const recorder = new Recorder()
    const w = testConsumer(env, stream, table, recorder, { workerId: 'c1', leaseDurationMs: 2_000 })
    const ended: string[] = []
    w.consumer.on('shardEnded', (e) => ended.push(e.shardId))
    try {
      await w.consumer.start()
      await waitFor('shard 0 finished', () => ended.includes(s0!.ShardId!))
      await waitFor(
        'shard 0 at SHARD_END',
        async () => (await getLease(env.dynamodb, table, s0!.ShardId!))?.checkpoint === 'SHARD_END',
      )
      // The worker did not lease the child: shard 1 has no lease yet and must be read first.
      expect(await getLease(env.dynamodb, table, child.ShardId!)).toBeUndefined()
      expect(recorder.seen.some((r) => r.data.startsWith('merged'))).toBe(false)

      // The next Sync pass creates shard 1 and then the child; nothing of shard 1 is skipped.
      expect((await sync.syncOnce()).created.sort()).toEqual([s1!.ShardId, child.ShardId].sort())
      await waitFor('every record', () => recorder.distinct().size === 15)
      const order = recorder.seen.map((r) => r.data)
      const firstMerged = order.findIndex((d) => d.startsWith('merged'))
      expect(order.slice(0, firstMerged).filter((d) => d.startsWith('right'))).toHaveLength(5)
      expect(order.slice(0, firstMerged).filter((d) => d.startsWith('left'))).toHaveLength(5)
    } finally {
      await w.consumer.stop()
      w.clients.destroy()
    }
  })
})
