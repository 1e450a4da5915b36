// streamReport with a fake KinesisClient (only `send`) that answers DescribeStreamSummary without
// its StreamDescriptionSummary once, to force what kinesis-local never does on demand.
import {
  DescribeStreamSummaryCommand,
  ListShardsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis'
import { ManualClock } from '@kine/core'
import { describe, expect, it } from 'vitest'
import { streamReport } from './stream-report.js'

const SUMMARY = {
  StreamName: 'orders',
  StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/orders',
  StreamStatus: 'ACTIVE',
  RetentionPeriodHours: 24,
  StreamCreationTimestamp: new Date(0),
  EnhancedMonitoring: [],
  OpenShardCount: 1,
}
const SHARD = {
  ShardId: 'shardId-000000000000',
  HashKeyRange: { StartingHashKey: '0', EndingHashKey: '340282366920938463463374607431768211455' },
  SequenceNumberRange: { StartingSequenceNumber: '1' },
}

/** Answers DescribeStreamSummary `malformed` times without its summary, then with it. */
function fakeKinesis(malformed: number) {
  const calls: string[] = []
  const client = {
    send: (command: unknown) => {
      if (command instanceof DescribeStreamSummaryCommand) {
        calls.push('DescribeStreamSummary')
        return Promise.resolve(
          calls.length <= malformed ? { $metadata: {} } : { StreamDescriptionSummary: SUMMARY },
        )
      }
      if (command instanceof ListShardsCommand) {
        calls.push('ListShards')
        return Promise.resolve({ Shards: [SHARD] })
      }
      return Promise.reject(new Error('unexpected command'))
    },
  } as unknown as KinesisClient
  return { client, calls }
}

describe('streamReport', () => {
  it('asks DescribeStreamSummary again when the answer has no summary, instead of reporting blanks (fake client)', async () => {
    const clock = new ManualClock()
    const { client, calls } = fakeKinesis(1)
    const report = streamReport(
      client,
      { unavailable: 'local' },
      {
        streamName: 'orders',
        now: 0,
        clock,
      },
    )
    await clock.advance(10_000)
    const { stream } = await report
    expect(stream).toMatchObject({
      arn: SUMMARY.StreamARN,
      status: 'ACTIVE',
      retentionHours: 24,
      openShards: 1,
    })
    expect(calls).toEqual(['DescribeStreamSummary', 'DescribeStreamSummary', 'ListShards'])
  })

  it('fails with MALFORMED_RESPONSE after 3 such answers, rather than print a stream with no status (fake client)', async () => {
    const clock = new ManualClock()
    const { client, calls } = fakeKinesis(Infinity)
    const outcome = streamReport(
      client,
      { unavailable: 'local' },
      {
        streamName: 'orders',
        now: 0,
        clock,
      },
    ).catch((e: unknown) => e)
    for (let i = 0; i < 3; i++) await clock.advance(10_000)
    expect(await outcome).toMatchObject({ code: 'MALFORMED_RESPONSE' })
    expect(calls).toEqual(Array(3).fill('DescribeStreamSummary'))
  })
})
