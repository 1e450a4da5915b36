// listShards with a fake Kinesis client (only `send` is called) and a ManualClock, to force the
// fault paths a live stream rarely shows: throttling, an expired NextToken, access denied, and
// malformed pages (no Shards, a NextToken handed back again).
import type { KinesisClient, Shard } from '@aws-sdk/client-kinesis'
import { describe, expect, it } from 'vitest'
import { ManualClock } from './clock.js'
import { listShards } from './list-shards.js'
import type { MetricName, MetricsSink } from './metrics.js'
import { recordingLogger } from '../test/shard-reader-fakes.js'

const shard = (n: number): Shard => ({
  ShardId: `shardId-${String(n).padStart(12, '0')}`,
  HashKeyRange: { StartingHashKey: '0', EndingHashKey: '1' },
  SequenceNumberRange: { StartingSequenceNumber: '1' },
})
const awsError = (name: string, status = 400): Error =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } })

/** A fake client answering ListShards from a script: each entry is a page or an error. */
function fakeKinesis(
  script: (
    input: Record<string, unknown>,
    call: number,
  ) => { Shards?: Shard[]; NextToken?: string } | Error,
) {
  const inputs: Record<string, unknown>[] = []
  const client = {
    send: (command: { input: Record<string, unknown> }) => {
      inputs.push(command.input)
      const answer = script(command.input, inputs.length)
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer)
    },
  } as unknown as KinesisClient
  return { client, inputs }
}

describe('listShards', () => {
  it('follows NextToken to the last page, naming neither stream nor filter with a token', async () => {
    const { client, inputs } = fakeKinesis((input) =>
      input.NextToken === undefined
        ? { Shards: [shard(0), shard(1)], NextToken: 't1' }
        : input.NextToken === 't1'
          ? { Shards: [shard(2)], NextToken: 't2' }
          : { Shards: [shard(3)] },
    )
    const shards = await listShards(client, { streamName: 'orders', pageSize: 2 })
    expect(shards.map((s) => s.ShardId)).toEqual([0, 1, 2, 3].map((n) => shard(n).ShardId))
    expect(inputs).toEqual([
      { StreamName: 'orders', MaxResults: 2 },
      { NextToken: 't1', MaxResults: 2 },
      { NextToken: 't2', MaxResults: 2 },
    ])
  })

  it('backs off on LimitExceededException and goes on with the same page', async () => {
    const clock = new ManualClock()
    let throttles = 3
    const { client, inputs } = fakeKinesis(() =>
      throttles-- > 0 ? awsError('LimitExceededException') : { Shards: [shard(0)] },
    )
    const listing = listShards(client, { streamName: 'orders', clock })
    for (let i = 0; i < 3; i++) await clock.advance(10_000)
    expect((await listing).map((s) => s.ShardId)).toEqual([shard(0).ShardId])
    expect(inputs).toHaveLength(4)
  })

  it('starts over when a NextToken expired, rather than return a partial list', async () => {
    let expiredOnce = false
    const { client } = fakeKinesis((input) => {
      if (input.NextToken === undefined) return { Shards: [shard(0)], NextToken: 't1' }
      if (!expiredOnce) {
        expiredOnce = true
        return awsError('ExpiredNextTokenException')
      }
      return { Shards: [shard(1)] }
    })
    const shards = await listShards(client, { streamName: 'orders' })
    expect(shards.map((s) => s.ShardId)).toEqual([shard(0).ShardId, shard(1).ShardId])
  })

  it('throws typed errors for a missing stream and for access denied, without retrying', async () => {
    const missing = fakeKinesis(() => awsError('ResourceNotFoundException'))
    await expect(listShards(missing.client, { streamName: 'nope' })).rejects.toMatchObject({
      code: 'STREAM_NOT_FOUND',
      retryable: false,
    })
    expect(missing.inputs).toHaveLength(1)
    const denied = fakeKinesis(() => awsError('AccessDeniedException', 403))
    await expect(listShards(denied.client, { streamName: 'orders' })).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
    })
    expect(denied.inputs).toHaveLength(1)
  })

  it('gives up after maxAttempts throttles with a retryable THROTTLED error', async () => {
    const clock = new ManualClock()
    const { client, inputs } = fakeKinesis(() => awsError('LimitExceededException'))
    const listing = listShards(client, { streamName: 'orders', clock, maxAttempts: 3 })
    const outcome = listing.catch((e: unknown) => e)
    for (let i = 0; i < 3; i++) await clock.advance(10_000)
    expect(await outcome).toMatchObject({ code: 'THROTTLED', retryable: true })
    expect(inputs).toHaveLength(3)
  })

  it('asks again for a page without Shards (the fake drops them), never returning a short listing', async () => {
    const clock = new ManualClock()
    const logger = recordingLogger()
    const metrics = recorder()
    let dropped = false
    const { client, inputs } = fakeKinesis((input) => {
      if (input.NextToken === undefined) return { Shards: [shard(0)], NextToken: 't1' }
      if (!dropped) {
        dropped = true
        return { NextToken: 't2' }
      }
      return { Shards: [shard(1)] }
    })
    const listing = listShards(client, { streamName: 'orders', clock, logger, metrics })
    await clock.advance(10_000)
    expect((await listing).map((s) => s.ShardId)).toEqual([shard(0).ShardId, shard(1).ShardId])
    expect(inputs).toEqual([
      { StreamName: 'orders', MaxResults: 1000 },
      { NextToken: 't1', MaxResults: 1000 },
      { NextToken: 't1', MaxResults: 1000 },
    ])
    expect(metrics.rows).toEqual([
      { name: 'MalformedResponses', value: 1, dimensions: { StreamName: 'orders' } },
    ])
    expect(
      logger.lines
        .filter((l) => l.level === 'warn')
        .map((l) => [l.fields.operation, l.fields.stream]),
    ).toEqual([['ListShards', 'orders']])
  })

  it('rejects with a retryable MALFORMED_RESPONSE when every answer lacks Shards, never an empty list (fake client)', async () => {
    const clock = new ManualClock()
    const { client, inputs } = fakeKinesis(() => ({}))
    const outcome = listShards(client, { streamName: 'orders', clock, maxAttempts: 3 }).catch(
      (e: unknown) => e,
    )
    for (let i = 0; i < 3; i++) await clock.advance(10_000)
    expect(await outcome).toMatchObject({ code: 'MALFORMED_RESPONSE', retryable: true })
    expect(inputs).toHaveLength(3)
  })

  it('a NextToken handed back for ever is malformed: bounded by maxAttempts, never a loop (fake client)', async () => {
    const clock = new ManualClock()
    // The fake repeats the token; after 50 calls it fails, so a listing that loops cannot hang the test.
    const { client, inputs } = fakeKinesis((_input, call) =>
      call > 50 ? awsError('FakeGaveUp') : { Shards: [shard(call)], NextToken: 'same' },
    )
    const outcome = listShards(client, { streamName: 'orders', clock, maxAttempts: 3 }).catch(
      (e: unknown) => e,
    )
    for (let i = 0; i < 3; i++) await clock.advance(10_000)
    expect(await outcome).toMatchObject({ code: 'MALFORMED_RESPONSE', retryable: true })
    expect(inputs).toHaveLength(4) // the first page, then its NextToken asked 3 times
  })

  it('a NextToken handed back once is asked again, and the listing has each shard once (fake client)', async () => {
    const clock = new ManualClock()
    let repeated = false
    const { client } = fakeKinesis((input) => {
      if (input.NextToken === undefined) return { Shards: [shard(0)], NextToken: 't1' }
      if (!repeated) {
        repeated = true
        return { Shards: [shard(0)], NextToken: 't1' }
      }
      return { Shards: [shard(1)] }
    })
    const listing = listShards(client, { streamName: 'orders', clock })
    await clock.advance(10_000)
    expect((await listing).map((s) => s.ShardId)).toEqual([shard(0).ShardId, shard(1).ShardId])
  })
})

function recorder(): MetricsSink & {
  rows: { name: MetricName; value: number; dimensions: unknown }[]
} {
  const rows: { name: MetricName; value: number; dimensions: unknown }[] = []
  return {
    rows,
    record: (name, value, _unit, dimensions) => rows.push({ name, value, dimensions }),
  }
}
