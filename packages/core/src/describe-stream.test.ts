// describeStreamSummary with a fake Kinesis client (only `send` is called) and a ManualClock, to
// force what a healthy Kinesis never answers (no StreamDescriptionSummary) and the usual faults.
import type { KinesisClient, StreamDescriptionSummary } from '@aws-sdk/client-kinesis'
import { describe, expect, it } from 'vitest'
import { recordingLogger } from '../test/shard-reader-fakes.js'
import { ManualClock } from './clock.js'
import { describeStreamSummary } from './describe-stream.js'
import type { MetricName, MetricsSink } from './metrics.js'

const SUMMARY = {
  StreamName: 'orders',
  StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/orders',
  StreamStatus: 'ACTIVE',
  RetentionPeriodHours: 24,
  StreamCreationTimestamp: new Date(0),
  EnhancedMonitoring: [],
  OpenShardCount: 2,
} satisfies StreamDescriptionSummary

const awsError = (name: string, status = 400): Error =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } })

/** A fake client answering DescribeStreamSummary from a script: an output or an error per call. */
function fakeKinesis(script: (call: number) => Record<string, unknown> | Error) {
  const inputs: Record<string, unknown>[] = []
  const client = {
    send: (command: { input: Record<string, unknown> }) => {
      inputs.push(command.input)
      const answer = script(inputs.length)
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer)
    },
  } as unknown as KinesisClient
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

describe('describeStreamSummary', () => {
  it('asks again, with backoff, when the answer has no StreamDescriptionSummary (fake client)', async () => {
    const clock = new ManualClock()
    const logger = recordingLogger()
    const metrics = recorder()
    const { client, inputs } = fakeKinesis((call) =>
      call === 1 ? { $metadata: {} } : { StreamDescriptionSummary: SUMMARY },
    )
    const describing = describeStreamSummary(client, {
      streamName: 'orders',
      clock,
      logger,
      metrics,
    })
    await clock.advance(99)
    expect(inputs).toHaveLength(1) // no retry before the backoff's least wait
    await clock.advance(10_000)
    expect(await describing).toEqual(SUMMARY)
    expect(inputs).toEqual([{ StreamName: 'orders' }, { StreamName: 'orders' }])
    expect(metrics.rows).toEqual([
      { name: 'MalformedResponses', value: 1, dimensions: { StreamName: 'orders' } },
    ])
    expect(
      logger.lines
        .filter((l) => l.level === 'warn')
        .map((l) => [l.fields.operation, l.fields.stream]),
    ).toEqual([['DescribeStreamSummary', 'orders']])
  })

  it('gives up after maxAttempts malformed answers with a retryable MALFORMED_RESPONSE (fake client)', async () => {
    const clock = new ManualClock()
    const { client, inputs } = fakeKinesis(() => ({}))
    const outcome = describeStreamSummary(client, {
      streamARN: SUMMARY.StreamARN,
      clock,
      maxAttempts: 3,
    }).catch((e: unknown) => e)
    for (let i = 0; i < 3; i++) await clock.advance(10_000)
    expect(await outcome).toMatchObject({ code: 'MALFORMED_RESPONSE', retryable: true })
    expect(inputs).toEqual(Array(3).fill({ StreamARN: SUMMARY.StreamARN }))
  })

  it('retries throttles and 5xx, and surfaces a missing stream or access denied at once (fake client)', async () => {
    const clock = new ManualClock()
    const flaky = fakeKinesis((call) =>
      call === 1
        ? awsError('LimitExceededException')
        : call === 2
          ? awsError('InternalFailure', 500)
          : { StreamDescriptionSummary: SUMMARY },
    )
    const describing = describeStreamSummary(flaky.client, { streamName: 'orders', clock })
    for (let i = 0; i < 2; i++) await clock.advance(10_000)
    expect(await describing).toEqual(SUMMARY)
    expect(flaky.inputs).toHaveLength(3)

    const missing = fakeKinesis(() => awsError('ResourceNotFoundException'))
    await expect(
      describeStreamSummary(missing.client, { streamName: 'nope' }),
    ).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND', retryable: false })
    expect(missing.inputs).toHaveLength(1)
    const denied = fakeKinesis(() => awsError('AccessDeniedException', 403))
    await expect(
      describeStreamSummary(denied.client, { streamName: 'orders' }),
    ).rejects.toMatchObject({ code: 'ACCESS_DENIED' })
    expect(denied.inputs).toHaveLength(1)
  })

  it('stops waiting when the signal aborts', async () => {
    const clock = new ManualClock()
    const controller = new AbortController()
    const { client } = fakeKinesis(() => ({}))
    const outcome = describeStreamSummary(client, {
      streamName: 'orders',
      clock,
      signal: controller.signal,
    }).catch((e: unknown) => e)
    await clock.advance(0)
    controller.abort(new Error('stop'))
    expect(await outcome).toMatchObject({ message: 'stop' })
  })
})
