// Splits and merges while two workers consume (kinesis-local sends ChildShards): every record is
// processed, per-shard order is kept, no child record comes before its parents' last record, and the
// worker writes children before SHARD_END (rule 8).
import { MergeShardsCommand } from '@aws-sdk/client-kinesis'
import { waitForStreamActive } from '@kine-tools/local'
import { allShards, readLeases, splitInHalf, useEnv, waitFor } from '@kine-tools/testkit'
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
})
