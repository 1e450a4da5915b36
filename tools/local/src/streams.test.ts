import type {
  PutRecordsCommand,
  KinesisClient,
  PutRecordsCommandOutput,
} from '@aws-sdk/client-kinesis'
import { describe, expect, it } from 'vitest'
import { putRecords } from './streams.js'

// A fake client stands in for Kinesis here: no emulator fails single entries of a PutRecords call
// on demand, and this is what putRecords must survive.
function fakeKinesis(failOnce: Set<string>): { client: KinesisClient; calls: string[][] } {
  const calls: string[][] = []
  let sequence = 0
  const send = (command: PutRecordsCommand): Promise<PutRecordsCommandOutput> => {
    const input = command.input
    const keys = (input.Records ?? []).map((r) => r.PartitionKey ?? '')
    calls.push(keys)
    const Records = keys.map((key) => {
      if (failOnce.delete(key))
        return { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' }
      return { ShardId: 'shardId-000000000000', SequenceNumber: String(++sequence) }
    })
    return Promise.resolve({
      Records,
      FailedRecordCount: Records.filter((r) => r.ErrorCode).length,
      $metadata: {},
    })
  }
  return { client: { send } as unknown as KinesisClient, calls }
}

describe('putRecords', () => {
  it('sends at most 500 records per call and returns results in input order', async () => {
    const { client, calls } = fakeKinesis(new Set())
    const results = await putRecords(
      client,
      's',
      Array.from({ length: 1200 }, (_, i) => ({ data: `r${i}`, partitionKey: `k${i}` })),
    )
    expect(calls.map((c) => c.length)).toEqual([500, 500, 200])
    expect(results.map((r) => r.sequenceNumber)).toEqual(
      Array.from({ length: 1200 }, (_, i) => String(i + 1)),
    )
  })

  it('resends only the entries a call reports as failed', async () => {
    const { client, calls } = fakeKinesis(new Set(['b', 'd']))
    const results = await putRecords(
      client,
      's',
      ['a', 'b', 'c', 'd'].map((k) => ({ data: k, partitionKey: k })),
    )
    expect(calls).toEqual([
      ['a', 'b', 'c', 'd'],
      ['b', 'd'],
    ])
    expect(results.map((r) => r.sequenceNumber)).toEqual(['1', '3', '2', '4'])
  })

  it('splits calls so none carries more than 5 MiB', async () => {
    const { client, calls } = fakeKinesis(new Set())
    const big = new Uint8Array(1024 * 1024)
    await putRecords(
      client,
      's',
      Array.from({ length: 12 }, (_, i) => ({ data: big, partitionKey: `k${i}` })),
    )
    expect(calls.map((c) => c.length)).toEqual([4, 4, 4])
  })
})
