import {
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  ListStreamsCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createStream,
  kinesisClient,
  putRecords,
  startKinesis,
  LocalServiceError,
  type LocalKinesis,
} from '../src/index.js'
import { gone, isRunning, uniqueName } from './helpers.js'

// One kinesis-local for the whole file: it takes ~170 MB and ~0.5 s to start.
let kinesis: LocalKinesis
let client: KinesisClient

beforeAll(async () => {
  kinesis = await startKinesis()
  client = kinesisClient(kinesis.endpoint)
})
afterAll(async () => {
  client?.destroy()
  await kinesis?.stop()
})

async function readShard(
  stream: string,
  shardId: string,
): Promise<{ data: string; key: string }[]> {
  const it = await client.send(
    new GetShardIteratorCommand({
      StreamName: stream,
      ShardId: shardId,
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  )
  const out = await client.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator }))
  return (out.Records ?? []).map((r) => ({
    data: Buffer.from(r.Data ?? []).toString('utf8'),
    key: r.PartitionKey ?? '',
  }))
}

describe('kinesis-local', () => {
  it('runs as a child process on a loopback endpoint', async () => {
    expect(kinesis.engine).toBe('kinesis-local')
    expect(kinesis.mode).toBe('child')
    expect(kinesis.endpoint).toBe(`http://127.0.0.1:${kinesis.port}`)
    expect(isRunning(kinesis.pid ?? 0)).toBe(true)
    const out = await client.send(new ListStreamsCommand({}))
    expect(out.$metadata.httpStatusCode).toBe(200)
  })

  it('creates a stream that is ACTIVE at once, takes records and gives them back in order', async () => {
    const stream = uniqueName('orders')
    await createStream(client, stream, 2)
    const shards = (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? []
    expect(shards).toHaveLength(2)
    // Route by explicit hash key: the first record to the first shard, the rest to the second.
    const second = shards[1]?.HashKeyRange?.StartingHashKey ?? ''
    const results = await putRecords(client, stream, [
      { data: 'a', partitionKey: 'k1', explicitHashKey: '0' },
      { data: 'b', partitionKey: 'k2', explicitHashKey: second },
      { data: new TextEncoder().encode('c'), partitionKey: 'k3', explicitHashKey: second },
    ])
    expect(results.map((r) => r.shardId)).toEqual([
      shards[0]?.ShardId,
      shards[1]?.ShardId,
      shards[1]?.ShardId,
    ])
    expect(BigInt(results[2]?.sequenceNumber ?? 0)).toBeGreaterThan(
      BigInt(results[1]?.sequenceNumber ?? 0),
    )
    expect(await readShard(stream, shards[0]?.ShardId ?? '')).toEqual([{ data: 'a', key: 'k1' }])
    expect(await readShard(stream, shards[1]?.ShardId ?? '')).toEqual([
      { data: 'b', key: 'k2' },
      { data: 'c', key: 'k3' },
    ])
  })

  it('answers GetRecords responses over 64 KiB through the HTTP/1.1 client', async () => {
    const stream = uniqueName('big')
    await createStream(client, stream, 1)
    const payload = 'x'.repeat(20 * 1024)
    await putRecords(
      client,
      stream,
      Array.from({ length: 8 }, (_, i) => ({ data: payload, partitionKey: `k${i}` })),
    )
    const records = await readShard(stream, 'shardId-000000000000')
    expect(records).toHaveLength(8)
    expect(records.every((r) => r.data === payload)).toBe(true)
  })

  it('delivers records over SubscribeToShard with the HTTP/2 client', async () => {
    const stream = uniqueName('fanout')
    await createStream(client, stream, 1)
    await putRecords(client, stream, [{ data: 'hello', partitionKey: 'k' }])
    const streamArn = (await client.send(new DescribeStreamSummaryCommand({ StreamName: stream })))
      .StreamDescriptionSummary?.StreamARN
    const consumer = await client.send(
      new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'test' }),
    )
    const consumerArn = consumer.Consumer?.ConsumerARN
    for (let i = 0; i < 200; i++) {
      const d = await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn }))
      if (d.ConsumerDescription?.ConsumerStatus === 'ACTIVE') break
      await sleep(50)
    }
    const h2 = kinesisClient(kinesis.endpoint, { http2: true })
    const abort = new AbortController()
    try {
      const sub = await h2.send(
        new SubscribeToShardCommand({
          ConsumerARN: consumerArn,
          ShardId: 'shardId-000000000000',
          StartingPosition: { Type: 'TRIM_HORIZON' },
        }),
        { abortSignal: abort.signal },
      )
      let received: string[] = []
      for await (const event of sub.EventStream ?? []) {
        received = (event.SubscribeToShardEvent?.Records ?? []).map((r) =>
          Buffer.from(r.Data ?? []).toString('utf8'),
        )
        if (received.length > 0) break
      }
      expect(received).toEqual(['hello'])
    } finally {
      abort.abort()
      h2.destroy()
    }
  })

  it('refuses in-process mode, which kinesis-local does not support', async () => {
    const error = await startKinesis({ mode: 'in-process' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LocalServiceError)
    expect((error as LocalServiceError).code).toBe('INVALID_OPTIONS')
  })

  it('stops leaving no process behind, even after HTTP/2 use', async () => {
    const pid = kinesis.pid ?? 0
    expect(pid).toBeGreaterThan(0)
    await kinesis.stop()
    await kinesis.stop()
    expect(isRunning(pid)).toBe(false)
    expect(await gone(pid, 0)).toBe(true)
  })
})
