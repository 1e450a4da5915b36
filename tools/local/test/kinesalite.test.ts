import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
} from '@aws-sdk/client-kinesis'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createStream,
  kinesisClient,
  putRecords,
  startKinesis,
  type LocalKinesis,
} from '../src/index.js'
import { isRunning, uniqueName } from './helpers.js'

const running: LocalKinesis[] = []
afterAll(async () => {
  await Promise.all(running.map((k) => k.stop()))
})

describe('kinesalite', () => {
  it('runs two in this process at once, on different ports, each with its own streams', async () => {
    const [a, b] = await Promise.all([
      startKinesis({ engine: 'kinesalite' }),
      startKinesis({ engine: 'kinesalite' }),
    ])
    running.push(a, b)
    expect(a.mode).toBe('in-process')
    expect(a.pid).toBeUndefined()
    expect(a.port).not.toBe(b.port)
    const clientA = kinesisClient(a.endpoint)
    const clientB = kinesisClient(b.endpoint)
    try {
      const stream = uniqueName('only-in-a')
      await createStream(clientA, stream, 1)
      expect((await clientA.send(new ListStreamsCommand({}))).StreamNames).toEqual([stream])
      expect((await clientB.send(new ListStreamsCommand({}))).StreamNames).toEqual([])

      const put = await putRecords(
        clientA,
        stream,
        Array.from({ length: 1200 }, (_, i) => ({
          data: `record ${i}`,
          partitionKey: `k${i % 7}`,
        })),
      )
      expect(put).toHaveLength(1200)
      const it = await clientA.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: put[0]?.shardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      )
      const out = await clientA.send(
        new GetRecordsCommand({ ShardIterator: it.ShardIterator, Limit: 10_000 }),
      )
      expect(out.Records?.map((r) => Buffer.from(r.Data ?? []).toString())).toEqual(
        put.map((_, i) => `record ${i}`),
      )
    } finally {
      clientA.destroy()
      clientB.destroy()
    }
    await a.stop()
    await a.stop()
    const client = kinesisClient(a.endpoint, { config: { maxAttempts: 1 } })
    await expect(client.send(new ListStreamsCommand({}))).rejects.toThrow()
    client.destroy()
  })

  it('runs as child processes, two at once on different ports, and leaves none behind', async () => {
    const [k, other] = await Promise.all([
      startKinesis({ engine: 'kinesalite', mode: 'child' }),
      startKinesis({ engine: 'kinesalite', mode: 'child' }),
    ])
    running.push(k, other)
    expect(k.mode).toBe('child')
    expect(k.port).not.toBe(other.port)
    expect(k.pid).not.toBe(other.pid)
    const client = kinesisClient(k.endpoint)
    try {
      await createStream(client, 'child-stream', 1)
      expect((await client.send(new ListStreamsCommand({}))).StreamNames).toEqual(['child-stream'])
    } finally {
      client.destroy()
    }
    const pids = [k.pid ?? 0, other.pid ?? 0]
    expect(pids.map(isRunning)).toEqual([true, true])
    await Promise.all([k.stop(), other.stop()])
    expect(pids.map(isRunning)).toEqual([false, false])
  })
})
