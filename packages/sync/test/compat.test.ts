// The original library's callback API over kine's Sync, on kinesis-local + dynalite.
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb'
import { createStream } from '@kine-tools/local'
import { readLeases, uniqueName, useEnv } from '@kine-tools/testkit'
import { describe, expect, it } from 'vitest'
import { sync } from '../src/index.js'

const env = useEnv()

describe('sync(config, dynamodb, kinesis)', () => {
  it('init(cb) creates the table; shards() leases every shard and keeps syncing', async () => {
    const streamName = uniqueName('legacy')
    const table = uniqueName('legacy-app')
    await createStream(env.kinesis, streamName, 3)
    const s = sync(
      { table, streamName, shardIteratorType: 'TRIM_HORIZON', shardSyncDelay: 200 },
      env.dynamodb,
      env.kinesis,
    )
    await new Promise<void>((resolve, reject) => s.init((err) => (err ? reject(err) : resolve())))
    const described = await env.dynamodb.send(new DescribeTableCommand({ TableName: table }))
    expect(described.Table?.TableStatus).toBe('ACTIVE')
    await new Promise<void>((resolve, reject) => s.shards((err) => (err ? reject(err) : resolve())))
    const { leases } = await readLeases(env.dynamodb, table)
    expect(leases.size).toBe(3)
    expect([...leases.values()].every((l) => l.checkpoint === 'TRIM_HORIZON')).toBe(true)
    await s.stop()
  })

  it('passes errors to the callback instead of throwing', async () => {
    const s = sync(
      { table: uniqueName('t'), streamName: uniqueName('nope'), shardIteratorType: 'LATEST' },
      env.dynamodb,
      env.kinesis,
    )
    const err = await new Promise<Error | null>((resolve) => s.init(resolve))
    expect(err).toMatchObject({ code: 'STREAM_NOT_FOUND' })
    await s.stop()
  })

  it('requires shardIteratorType, and a timestamp for AT_TIMESTAMP', () => {
    expect(() => sync({ table: 't', streamName: 's' } as never, env.dynamodb, env.kinesis)).toThrow(
      /shardIteratorType is required/,
    )
    expect(() =>
      sync(
        { table: 't', streamName: 's', shardIteratorType: 'AT_TIMESTAMP' },
        env.dynamodb,
        env.kinesis,
      ),
    ).toThrow(/timestamp/)
    const ok = sync(
      {
        table: 't',
        streamName: 's',
        shardIteratorType: 'AT_TIMESTAMP',
        timestamp: '2026-01-01T00:00:00Z',
      },
      env.dynamodb,
      env.kinesis,
    )
    expect(ok.instance).toBeDefined()
  })
})
