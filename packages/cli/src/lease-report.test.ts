import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis'
import type { Lease } from '@kine/core'
import { describe, expect, it } from 'vitest'
import { leaseLag } from './lease-report.js'

const lease = (fields: Partial<Lease>): Lease => ({
  leaseKey: 'shardId-000000000001',
  leaseCounter: 1,
  checkpoint: 'TRIM_HORIZON',
  checkpointSubSequenceNumber: 0,
  ownerSwitchesSinceCheckpoint: 0,
  parentShardIds: [],
  childShardIds: [],
  ...fields,
})
const shard: Shard = {
  ShardId: 'shardId-000000000001',
  HashKeyRange: { StartingHashKey: '0', EndingHashKey: '1' },
  SequenceNumberRange: { StartingSequenceNumber: '1' },
}

// Fake KinesisClients (only `send`) for answers kinesis-local does not give on demand.
const never = {
  send: () => Promise.reject(new Error('no call expected')),
} as unknown as KinesisClient

function answering(
  records: { ApproximateArrivalTimestamp: Date }[],
  millisBehindLatest: number,
  calls: unknown[] = [],
): KinesisClient {
  return {
    send: (command: unknown) => {
      calls.push(command)
      if (command instanceof GetShardIteratorCommand)
        return Promise.resolve({ ShardIterator: 'it' })
      if (command instanceof GetRecordsCommand) {
        return Promise.resolve({
          Records: records,
          MillisBehindLatest: millisBehindLatest,
          NextShardIterator: 'next',
        })
      }
      return Promise.reject(new Error('unexpected'))
    },
  } as unknown as KinesisClient
}

describe('leaseLag', () => {
  it('has nothing to compare for a lease not started yet (LATEST, AT_TIMESTAMP), and asks nothing', async () => {
    for (const checkpoint of ['LATEST', 'AT_TIMESTAMP']) {
      expect((await leaseLag(never, 's', lease({ checkpoint }), shard, 0)).status).toBe(
        'not-started',
      )
    }
  })

  it('reads right after the checkpoint; inside a KPL aggregate, at it', async () => {
    const calls: unknown[] = []
    const lag = await leaseLag(
      answering([{ ApproximateArrivalTimestamp: new Date(1_000) }], 4_000, calls),
      's',
      lease({ checkpoint: '123' }),
      shard,
      61_000,
    )
    expect(lag).toEqual({
      status: 'behind',
      oldestUnprocessedAgeMs: 60_000,
      millisBehindLatest: 4_000,
      note: null,
    })
    expect((calls[0] as GetShardIteratorCommand).input).toMatchObject({
      ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
      StartingSequenceNumber: '123',
    })
    expect((calls[1] as GetRecordsCommand).input.Limit).toBe(1)

    const inAggregate: unknown[] = []
    await leaseLag(
      answering([], 0, inAggregate),
      's',
      lease({ checkpoint: '123', checkpointSubSequenceNumber: 2 }),
      shard,
      0,
    )
    expect((inAggregate[0] as GetShardIteratorCommand).input.ShardIteratorType).toBe(
      'AT_SEQUENCE_NUMBER',
    )
  })

  it("an empty answer is caught up at MillisBehindLatest 0, and behind by Kinesis' figure otherwise", async () => {
    expect(
      (await leaseLag(answering([], 0), 's', lease({ checkpoint: '123' }), shard, 0)).status,
    ).toBe('caught-up')
    expect(
      await leaseLag(answering([], 9_000), 's', lease({ checkpoint: '123' }), shard, 0),
    ).toMatchObject({
      status: 'behind',
      oldestUnprocessedAgeMs: null,
      millisBehindLatest: 9_000,
    })
  })

  it('reports a failed read on the lease instead of failing the command', async () => {
    const failing = {
      send: () =>
        Promise.reject(Object.assign(new Error('boom'), { name: 'InvalidArgumentException' })),
    } as unknown as KinesisClient
    const lag = await leaseLag(failing, 's', lease({ checkpoint: '123' }), shard, 0)
    expect(lag.status).toBe('error')
    expect(lag.note).toContain('boom')
  })
})
