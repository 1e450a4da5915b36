// scanLeases with a fake DynamoDB client (only `send` is called) and a ManualClock, to force what a
// healthy table never answers: a Scan page without Items, a start key handed back again.
import type { DynamoDBClient, ScanCommandOutput } from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import { recordingLogger } from '../test/shard-reader-fakes.js'
import { ManualClock } from './clock.js'
import { leaseToItem } from './lease-item.js'
import type { MetricName, MetricsSink } from './metrics.js'
import { scanLeases } from './scan-leases.js'

const item = (n: number) =>
  leaseToItem({
    leaseKey: `shardId-${String(n).padStart(12, '0')}`,
    leaseCounter: 1,
    checkpoint: 'TRIM_HORIZON',
    checkpointSubSequenceNumber: 0,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: [],
    childShardIds: [],
  })
const key = (n: number) => ({ leaseKey: { S: `shardId-${String(n).padStart(12, '0')}` } })

/** A fake client answering Scan from a script: each entry is a page (its fields as given) or an error. */
function fakeDynamo(
  script: (input: Record<string, unknown>, call: number) => Partial<ScanCommandOutput> | Error,
) {
  const inputs: Record<string, unknown>[] = []
  const client = {
    send: (command: { input: Record<string, unknown> }) => {
      inputs.push(command.input)
      const answer = script(command.input, inputs.length)
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer)
    },
  } as unknown as DynamoDBClient
  return { client, inputs }
}

function recorder(): MetricsSink & {
  rows: { name: MetricName; value: number; dimensions: unknown }[]
} {
  const rows: { name: MetricName; value: number; dimensions: unknown }[] = []
  return {
    rows,
    record: (name, value, _unit, dimensions) => rows.push({ name, value, dimensions }),
  }
}

const keysOf = (scan: Awaited<ReturnType<typeof scanLeases>>): string[] =>
  scan.leases.map((l) => l.leaseKey)

describe('scanLeases', () => {
  it('reads every page, with the defaults its existing callers rely on', async () => {
    const { client, inputs } = fakeDynamo((input) =>
      input.ExclusiveStartKey === undefined
        ? { Items: [item(0)], LastEvaluatedKey: key(0) }
        : { Items: [item(1), { leaseKey: { N: '1' } }] },
    )
    const scan = await scanLeases(client, 'leases')
    expect(keysOf(scan)).toEqual([item(0).leaseKey?.S, item(1).leaseKey?.S])
    expect(scan.invalid).toHaveLength(1)
    expect(inputs).toEqual([
      { TableName: 'leases', ConsistentRead: true },
      { TableName: 'leases', ConsistentRead: true, ExclusiveStartKey: key(0) },
    ])
  })

  it('asks again for a page without Items (the fake drops them), with backoff, never a table missing leases', async () => {
    const clock = new ManualClock()
    const logger = recordingLogger()
    const metrics = recorder()
    let dropped = false
    const { client, inputs } = fakeDynamo((input) => {
      if (input.ExclusiveStartKey === undefined)
        return { Items: [item(0)], LastEvaluatedKey: key(0) }
      if (!dropped) {
        dropped = true
        return { Count: 1 }
      }
      return { Items: [item(1)] }
    })
    const scanning = scanLeases(client, 'leases', {
      clock,
      logger,
      metrics,
      streamName: 'orders',
    })
    await clock.advance(99)
    expect(inputs).toHaveLength(2) // no retry before the backoff's least wait
    await clock.advance(10_000)
    expect(keysOf(await scanning)).toEqual([item(0).leaseKey?.S, item(1).leaseKey?.S])
    expect(inputs.slice(1)).toEqual([
      { TableName: 'leases', ConsistentRead: true, ExclusiveStartKey: key(0) },
      { TableName: 'leases', ConsistentRead: true, ExclusiveStartKey: key(0) },
    ])
    expect(metrics.rows).toEqual([
      { name: 'MalformedResponses', value: 1, dimensions: { StreamName: 'orders' } },
    ])
    expect(
      logger.lines
        .filter((l) => l.level === 'warn')
        .map((l) => [l.fields.operation, l.fields.table]),
    ).toEqual([['Scan', 'leases']])
  })

  it('rejects with a retryable MALFORMED_RESPONSE when no answer has Items: never an empty table (fake client)', async () => {
    const clock = new ManualClock()
    const { client, inputs } = fakeDynamo(() => ({ Count: 0 }))
    const outcome = scanLeases(client, 'leases', { clock, maxAttempts: 3 }).catch((e: unknown) => e)
    for (let i = 0; i < 3; i++) await clock.advance(10_000)
    expect(await outcome).toMatchObject({ code: 'MALFORMED_RESPONSE', retryable: true })
    expect(inputs).toHaveLength(3)
  })

  it('a LastEvaluatedKey handed back for ever is malformed: bounded, never a loop (fake client)', async () => {
    const clock = new ManualClock()
    // After 50 calls the fake fails, so a scan that loops cannot hang the test.
    const { client, inputs } = fakeDynamo((_input, call) =>
      call > 50
        ? Object.assign(new Error('fake gave up'), { name: 'FakeGaveUp' })
        : { Items: [item(0)], LastEvaluatedKey: key(0) },
    )
    const outcome = scanLeases(client, 'leases', { clock, maxAttempts: 3 }).catch((e: unknown) => e)
    for (let i = 0; i < 3; i++) await clock.advance(10_000)
    expect(await outcome).toMatchObject({ code: 'MALFORMED_RESPONSE', retryable: true })
    expect(inputs).toHaveLength(4) // the first page, then its start key asked 3 times
  })

  it('throws a typed error for a missing table, without retrying', async () => {
    const { client, inputs } = fakeDynamo(() =>
      Object.assign(new Error('no table'), {
        name: 'ResourceNotFoundException',
        $metadata: { httpStatusCode: 400 },
      }),
    )
    await expect(scanLeases(client, 'leases')).rejects.toMatchObject({ code: 'TABLE_NOT_FOUND' })
    expect(inputs).toHaveLength(1)
  })
})
