// A shard end without ChildShards (kinesalite sends none): the worker learns the children from
// ListShards, creates their leases before SHARD_END, and reads them after the parent.
import { SplitShardCommand } from '@aws-sdk/client-kinesis'
import {
  createStream,
  dynamoClient,
  kinesisClient,
  startDynamo,
  startKinesis,
  waitForStreamActive,
} from '@kine-tools/local'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  Recorder,
  allShards,
  midpoint,
  orderViolations,
  put,
  readLeases,
  syncLeases,
  testConsumer,
  uniqueName,
  waitFor,
  type Env,
} from './helpers.js'

let env: Env
beforeAll(async () => {
  const [k, d] = await Promise.all([
    startKinesis({ engine: 'kinesalite' }),
    startDynamo({ engine: 'dynalite' }),
  ])
  const kinesis = kinesisClient(k.endpoint)
  const dynamodb = dynamoClient(d.endpoint)
  env = {
    kinesisEndpoint: k.endpoint,
    dynamoEndpoint: d.endpoint,
    kinesis,
    dynamodb,
    async stop() {
      kinesis.destroy()
      dynamodb.destroy()
      await Promise.all([k.stop(), d.stop()])
    },
  }
})
afterAll(async () => {
  await env?.stop()
})

describe('shard end without ChildShards', () => {
  it('finds the children with ListShards and follows them', async () => {
    const stream = uniqueName('lite')
    const table = uniqueName('lite-app')
    await createStream(env.kinesis, stream, 1)
    await syncLeases(env, stream, table)
    const recorder = new Recorder()
    const { consumer, clients } = testConsumer(env, stream, table, recorder, { workerId: 'lite-1' })
    try {
      await consumer.start()
      const sent = await put(env, stream, 'parent', 10)
      const [parent] = await allShards(env.kinesis, stream)
      await env.kinesis.send(
        new SplitShardCommand({
          StreamName: stream,
          ShardToSplit: parent!.ShardId,
          NewStartingHashKey: midpoint(parent!),
        }),
      )
      await waitForStreamActive(env.kinesis, stream)
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
