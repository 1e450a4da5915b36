// Sync on kinesalite + dynalite: kinesalite's listings pass the odd-listing checks (its open shards
// cover every hash key, before and after a split), and the two-listings rule holds there too.
import { PutItemCommand } from '@aws-sdk/client-dynamodb'
import { ManualClock } from '@kine/core'
import { leaseToItem } from '@kine/core/lease-table'
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

const env = useEnv({ kinesis: 'kinesalite' })

describe('Sync on kinesalite', () => {
  it('plans from its listings (never skipped), follows a split, and ends a gone shard after two listings', async () => {
    const { stream, table } = await newStream(env, 'lite', 3)
    await newSync(env, stream, table).init()
    const clock = new ManualClock()
    const sync = newSync(env, stream, table, { clock })
    const first = await sync.syncOnce()
    expect(first.skipped).toBeUndefined()
    expect(first.created).toHaveLength(3)

    const [parent] = await allShards(env.kinesis, stream)
    await splitInHalf(env.kinesis, stream, parent!)
    const afterSplit = await sync.syncOnce()
    expect(afterSplit.skipped).toBeUndefined()
    expect(afterSplit.created).toHaveLength(2)
    expect((await readLeases(env.dynamodb, table)).leases.size).toBe(5)

    const gone = 'shardId-000000000777'
    await env.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: leaseToItem(testLease({ leaseKey: gone, checkpoint: '12' })),
      }),
    )
    expect(await sync.syncOnce()).toMatchObject({ absent: [gone], ended: [] })
    await clock.advance(10_000)
    expect(await sync.syncOnce()).toMatchObject({ absent: [], ended: [gone] })
    expect((await getLease(env.dynamodb, table, gone))!.checkpoint).toBe('SHARD_END')
  })
})
