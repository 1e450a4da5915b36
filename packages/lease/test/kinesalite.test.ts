// A shard end without ChildShards (kinesalite sends none): the worker learns the children from
// ListShards, creates their leases before SHARD_END, and reads them after the parent.
import { allShards, readLeases, splitInHalf, useEnv, waitFor } from '@kine-tools/testkit'
import { describe, expect, it } from 'vitest'
import { leasedStream, orderViolations, put, Recorder, testConsumer } from './helpers.js'

const env = useEnv({ kinesis: 'kinesalite' })

describe('shard end without ChildShards', () => {
  it('finds the children with ListShards and follows them', async () => {
    const { stream, table } = await leasedStream(env, 'lite', 1)
    const recorder = new Recorder()
    const { consumer, clients } = testConsumer(env, stream, table, recorder, { workerId: 'lite-1' })
    try {
      await consumer.start()
      const sent = await put(env, stream, 'parent', 10)
      const [parent] = await allShards(env.kinesis, stream)
      await splitInHalf(env.kinesis, stream, parent!)
      sent.push(...(await put(env, stream, 'child', 20)))
      await waitFor('every record', () => sent.every((d) => recorder.distinct().has(d)), 20_000)
      expect(orderViolations(recorder.seen)).toEqual([])
      const lastParent = recorder.seen.map((s) => s.shardId).lastIndexOf(parent!.ShardId!)
      expect(recorder.seen.findIndex((s) => s.shardId !== parent!.ShardId)).toBeGreaterThan(
        lastParent,
      )
      const { leases } = await readLeases(env.dynamodb, table)
      expect(leases.get(parent!.ShardId!)).toMatchObject({ checkpoint: 'SHARD_END' })
      expect(leases.get(parent!.ShardId!)!.childShardIds).toHaveLength(2)
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })
})
