// FanOutShardReader against a fake KinesisClient on a ManualClock: its `send` answers
// SubscribeToShard with event streams scripted per test (counting how many events were pulled),
// or with injected errors. The reader against kinesis-local is in test/fan-out-reader.*.
import type {
  KinesisClient,
  StartingPosition,
  SubscribeToShardEvent,
  SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../clock.js'
import { AccessDeniedError, InvalidConfigError } from '../../errors.js'
import { serviceError, settle } from '../../../test/shard-reader-fakes.js'
import type { ShardBatch } from '../shard-reader.js'
import { FanOutShardReader } from './fan-out-shard-reader.js'
import type { FanOutShardReaderOptions } from './fan-out-reader-options.js'

const CONSUMER = 'arn:aws:kinesis:us-east-1:123456789012:stream/orders/consumer/app:1700000000'
const SHARD = 'shardId-000000000000'

/** One SubscribeToShard the fake received: where it started, when, and whether it was closed. */
interface Call {
  readonly position: StartingPosition
  readonly at: number
  readonly signal: AbortSignal
}

/** What the fake does for subscription number `n` (from 1): fail, or serve these events. */
type Script = (n: number) => Error | Iterable<SubscribeToShardEvent>

function fakeClient(
  clock: ManualClock,
  script: Script,
): { client: KinesisClient; calls: Call[]; pulled: () => number } {
  const calls: Call[] = []
  let pulled = 0
  const send = (
    command: { input: { StartingPosition: StartingPosition } },
    options: { abortSignal: AbortSignal },
  ) => {
    calls.push({
      position: command.input.StartingPosition,
      at: clock.now(),
      signal: options.abortSignal,
    })
    const outcome = script(calls.length)
    if (outcome instanceof Error) return Promise.reject(outcome)
    async function* stream(): AsyncGenerator<SubscribeToShardEventStream> {
      for (const event of outcome as Iterable<SubscribeToShardEvent>) {
        pulled++
        // Events arrive asynchronously, as off a connection.
        await Promise.resolve()
        yield { SubscribeToShardEvent: event }
      }
    }
    return Promise.resolve({ EventStream: stream() })
  }
  return { client: { send } as unknown as KinesisClient, calls, pulled: () => pulled }
}

function event(seq: number, records = 1): SubscribeToShardEvent {
  return {
    Records: Array.from({ length: records }, (_, i) => ({
      SequenceNumber: String(seq * 10 + i),
      Data: new TextEncoder().encode(`r${seq}-${i}`),
      PartitionKey: 'k',
    })),
    ContinuationSequenceNumber: String(seq * 10 + records - 1),
    MillisBehindLatest: 0,
  }
}

function* forever(from = 1): Generator<SubscribeToShardEvent> {
  for (let seq = from; ; seq++) yield event(seq)
}

function reader(
  clock: ManualClock,
  client: KinesisClient,
  more: Partial<FanOutShardReaderOptions> = {},
): FanOutShardReader {
  return new FanOutShardReader({
    client,
    consumerARN: CONSUMER,
    shardId: SHARD,
    position: 'TRIM_HORIZON',
    clock,
    random: () => 0.5,
    ...more,
  })
}

describe('FanOutShardReader (fake client)', () => {
  it('pulls events only as batches are taken: a busy caller holds the stream back', async () => {
    const clock = new ManualClock()
    const fake = fakeClient(clock, () => forever())
    const batches = reader(clock, fake.client).read()
    const first = await batches.next()
    expect((first.value as ShardBatch).records).toHaveLength(1)
    await settle(10)
    await clock.advance(5_000)
    expect(fake.pulled()).toBe(1)
    await batches.next()
    expect(fake.pulled()).toBe(2)
    await batches.return(undefined)
    expect(fake.calls[0]?.signal.aborted).toBe(true)
  })

  it('sends at most one SubscribeToShard per second, however fast subscriptions end', async () => {
    const clock = new ManualClock()
    // Each subscription ends after one event.
    const fake = fakeClient(clock, (n) => [event(n)])
    const controller = new AbortController()
    const taken: ShardBatch[] = []
    const done = (async () => {
      for await (const batch of reader(clock, fake.client, { signal: controller.signal }).read())
        taken.push(batch)
    })().catch(() => {})
    for (let i = 0; i < 50; i++) await clock.advance(100)
    controller.abort()
    await done
    expect(fake.calls.length).toBeGreaterThanOrEqual(5)
    expect(fake.calls.length).toBeLessThanOrEqual(6)
    for (let i = 1; i < fake.calls.length; i++)
      expect((fake.calls[i]?.at ?? 0) - (fake.calls[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(1_000)
    expect(taken.map((b) => b.records.length)).toEqual(fake.calls.map(() => 1))
  })

  it('never subscribes at LATEST again: then at the first subscription time, then after the continuation', async () => {
    const clock = new ManualClock()
    const fake = fakeClient(clock, (n) => (n === 1 ? [] : n === 2 ? [event(7)] : forever(8)))
    const batches = reader(clock, fake.client, { position: 'LATEST' }).read()
    const pending = batches.next()
    await clock.advance(3_000)
    await pending
    const next = batches.next()
    await clock.advance(3_000)
    await next
    await batches.return(undefined)
    expect(fake.calls.map((c) => c.position)).toEqual([
      { Type: 'LATEST' },
      { Type: 'AT_TIMESTAMP', Timestamp: new Date(Date.UTC(2026, 0, 1)) },
      { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '70' },
    ])
  })

  it('resumes a checkpoint AT its sequence number, dropping the records up to it', async () => {
    const clock = new ManualClock()
    const fake = fakeClient(clock, () =>
      (function* () {
        yield event(5, 3)
        yield* forever(6)
      })(),
    )
    const batches = reader(clock, fake.client, {
      position: { type: 'AFTER_CHECKPOINT', sequenceNumber: '51', subSequenceNumber: 0 },
    }).read()
    const first = (await batches.next()).value as ShardBatch
    await batches.return(undefined)
    expect(fake.calls[0]?.position).toEqual({ Type: 'AT_SEQUENCE_NUMBER', SequenceNumber: '51' })
    expect(first.records.map((r) => r.sequenceNumber)).toEqual(['52'])
  })

  it('backs off on LimitExceededException and ResourceInUseException, then reads', async () => {
    const clock = new ManualClock()
    const fake = fakeClient(clock, (n) =>
      n === 1
        ? serviceError('LimitExceededException')
        : n === 2
          ? serviceError('ResourceInUseException')
          : forever(),
    )
    const batches = reader(clock, fake.client).read()
    const pending = batches.next()
    await clock.advance(10_000)
    expect(((await pending).value as ShardBatch).records).toHaveLength(1)
    await batches.return(undefined)
    expect(fake.calls).toHaveLength(3)
  })

  it('treats a final event whose ChildShards lack parents as malformed, not as the end', async () => {
    const clock = new ManualClock()
    const final = (parents: string[]): SubscribeToShardEvent => ({
      Records: [],
      MillisBehindLatest: 0,
      ContinuationSequenceNumber: undefined,
      ChildShards: [
        {
          ShardId: 'shardId-000000000001',
          ParentShards: parents,
          HashKeyRange: { StartingHashKey: '0', EndingHashKey: '1' },
        },
      ],
    })
    const fake = fakeClient(clock, (n) => (n === 1 ? [final([])] : [final([SHARD])]))
    const metrics: string[] = []
    const batches: ShardBatch[] = []
    const done = (async () => {
      for await (const b of reader(clock, fake.client, {
        metrics: { record: (name) => metrics.push(name) },
      }).read())
        batches.push(b)
    })()
    for (let i = 0; i < 50 && batches.length === 0; i++) await clock.advance(100)
    await done
    expect(batches).toHaveLength(1)
    expect(batches[0]?.shardEnded).toBe(true)
    expect(batches[0]?.childShards?.map((c) => c.parentShardIds)).toEqual([[SHARD]])
    expect(metrics.filter((m) => m === 'MalformedResponses')).toHaveLength(1)
  })

  it('throws a typed error for what retrying cannot fix', async () => {
    const clock = new ManualClock()
    const fake = fakeClient(clock, () => serviceError('AccessDeniedException'))
    const error = await reader(clock, fake.client)
      .read()
      .next()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AccessDeniedError)
  })

  it('lists every problem with its options', () => {
    const clock = new ManualClock()
    const fake = fakeClient(clock, () => [])
    expect(
      () =>
        new FanOutShardReader({
          client: fake.client,
          consumerARN: 'arn:aws:kinesis:us-east-1:1:stream/orders',
          shardId: '',
          position: 'NOWHERE' as never,
          eventTimeoutMs: 0,
        }),
    ).toThrow(InvalidConfigError)
    try {
      new FanOutShardReader({
        client: fake.client,
        consumerARN: 'nope',
        shardId: '',
        position: 'TRIM_HORIZON',
        eventTimeoutMs: 0,
      })
    } catch (error) {
      const problems = (error as InvalidConfigError).problems.join('\n')
      expect(problems).toContain('consumerARN')
      expect(problems).toContain('shardId')
      expect(problems).toContain('eventTimeoutMs')
    }
  })
})
