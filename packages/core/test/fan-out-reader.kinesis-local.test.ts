// The FanOutShardReader against kinesis-local (a child process), which serves SubscribeToShard as
// an event stream over its plain HTTP port and refuses a second subscription of one consumer to
// one shard. kinesis-local cannot be told to end a subscription early or to send a bad event, so
// the tests that need that install a client middleware (named in each test) that ends, breaks or
// alters the SDK's event stream after the emulator has produced it.
import {
  DescribeStreamSummaryCommand,
  InternalFailureException,
  ListShardsCommand,
  SplitShardCommand,
  SubscribeToShardCommand,
  type KinesisClient,
  type SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis'
import {
  aggregateRecords,
  createStream,
  kinesisClient,
  putRecords,
  startKinesis,
  waitForStreamActive,
  type LocalKinesis,
  type LocalRecord,
} from '@kine-tools/local'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MetricName, MetricsSink } from '../src/metrics.js'
import type { KineRecord } from '../src/record.js'
import { FanOutShardReader } from '../src/reader/fan-out/fan-out-shard-reader.js'
import type { FanOutShardReaderOptions } from '../src/reader/fan-out/fan-out-reader-options.js'
import type { ShardBatch } from '../src/reader/shard-reader.js'
import { KineError } from '../src/errors.js'
import { ensureStreamConsumer } from '../src/stream-consumers.js'
import { recordingLogger, type LoggedLine } from './shard-reader-fakes.js'

const SHARD = 'shardId-000000000000'
const text = (r: KineRecord): string => Buffer.from(r.data).toString('utf8')

let kinesis: LocalKinesis
let client: KinesisClient
let streams = 0

beforeAll(async () => {
  kinesis = await startKinesis({
    durations: { SPLIT_SHARD_DURATION: '100ms', REGISTER_STREAM_CONSUMER_DURATION: '100ms' },
  })
  client = kinesisClient(kinesis.endpoint)
})
afterAll(async () => {
  client?.destroy()
  await kinesis?.stop()
})

/** A one-shard stream with a registered, ACTIVE consumer. */
async function streamWithConsumer(): Promise<{ stream: string; consumerARN: string }> {
  const stream = `fan-out-${process.pid}-${++streams}`
  await createStream(client, stream, 1)
  const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }))
  const streamARN = summary.StreamDescriptionSummary?.StreamARN ?? ''
  const { consumerARN } = await ensureStreamConsumer(client, {
    streamARN,
    consumerName: 'reader',
    pollIntervalMs: 50,
  })
  return { stream, consumerARN }
}

function counter(): MetricsSink & { sum(name: MetricName): number } {
  const rows: { name: MetricName; value: number }[] = []
  return {
    record: (name, value) => rows.push({ name, value }),
    sum: (name) => rows.filter((r) => r.name === name).reduce((n, r) => n + r.value, 0),
  }
}

function reader(
  consumerARN: string,
  more: Partial<FanOutShardReaderOptions> = {},
): FanOutShardReader {
  return new FanOutShardReader({
    client,
    consumerARN,
    shardId: SHARD,
    position: 'TRIM_HORIZON',
    retryBaseDelayMs: 100,
    retryMaxDelayMs: 1_000,
    signal: AbortSignal.timeout(50_000),
    ...more,
  })
}

/** What an altered event stream does with one event: pass it on (maybe changed), end, or fail. */
type Alteration = 'end' | 'throw' | SubscribeToShardEventStream

/**
 * A client whose SubscribeToShard event streams pass through `alter` (by subscription and event
 * number, from 1): a client middleware, standing in for a service that ends or breaks a stream.
 */
function alteringClient(
  alter: (subscription: number, event: number, member: SubscribeToShardEventStream) => Alteration,
): KinesisClient {
  const altered = kinesisClient(kinesis.endpoint)
  let subscriptions = 0
  altered.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args)
      if (context.commandName !== 'SubscribeToShardCommand') return result
      const output = result.output as { EventStream?: AsyncIterable<SubscribeToShardEventStream> }
      const original = output.EventStream
      if (original === undefined) return result
      const subscription = ++subscriptions
      output.EventStream = (async function* () {
        let event = 0
        for await (const member of original) {
          const outcome = alter(subscription, ++event, member)
          if (outcome === 'end') return
          if (outcome === 'throw')
            throw new InternalFailureException({ message: 'injected stream error', $metadata: {} })
          yield outcome
        }
      })()
      return result
    },
    { step: 'initialize', name: 'alterEventStream' },
  )
  return altered
}

/** Reads in the background, collecting records, until `stop` aborts or the shard ends. */
function background(shardReader: FanOutShardReader): {
  records: KineRecord[]
  batches: ShardBatch[]
  done: Promise<unknown>
} {
  const records: KineRecord[] = []
  const batches: ShardBatch[] = []
  const done = (async () => {
    try {
      for await (const batch of shardReader) {
        batches.push(batch)
        records.push(...batch.records)
      }
      return undefined
    } catch (error) {
      return error
    }
  })()
  return { records, batches, done }
}

async function until(what: string, condition: () => boolean, timeoutMs = 40_000): Promise<void> {
  const start = Date.now()
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const plain = (prefix: string, n: number): LocalRecord[] =>
  Array.from({ length: n }, (_, i) => ({ data: `${prefix}-${i}`, partitionKey: `k${i}` }))

/** A KPL aggregate of `n` user records, as one Kinesis record. */
function aggregate(prefix: string, n: number): LocalRecord {
  const kpl = aggregateRecords(
    Array.from({ length: n }, (_, i) => ({ data: `${prefix}-${i}`, partitionKey: `a${i}` })),
  )
  return { data: kpl.data, partitionKey: kpl.partitionKey }
}

const names = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}-${i}`)

describe('FanOutShardReader on kinesis-local', () => {
  it('reads what was written before and after it subscribed, in order, KPL aggregates opened', async () => {
    const { stream, consumerARN } = await streamWithConsumer()
    await putRecords(client, stream, [...plain('before', 5), aggregate('agg', 4)])
    const metrics = counter()
    const abort = new AbortController()
    const run = background(reader(consumerARN, { metrics, signal: abort.signal }))
    await until('the first records', () => run.records.length >= 9)
    await putRecords(client, stream, plain('after', 3))
    await until('the later records', () => run.records.length >= 12)
    abort.abort()
    await run.done
    expect(run.records.map(text)).toEqual([
      ...names('before', 5),
      ...names('agg', 4),
      ...names('after', 3),
    ])
    expect(run.records.slice(5, 9).map((r) => r.subSequenceNumber)).toEqual([0, 1, 2, 3])
    expect(run.batches.every((b) => b.millisBehindLatest !== undefined && !b.shardEnded)).toBe(true)
    expect(metrics.sum('FanOut.Subscriptions')).toBe(1)
    expect(metrics.sum('FanOut.Resubscriptions')).toBe(0)
    expect(metrics.sum('FanOut.Events')).toBe(run.batches.length)
  })

  it('reads through the HTTP/2 handler too', async () => {
    const { stream, consumerARN } = await streamWithConsumer()
    await putRecords(client, stream, plain('h2', 4))
    const h2 = kinesisClient(kinesis.endpoint, { http2: true })
    const abort = new AbortController()
    try {
      const run = background(reader(consumerARN, { client: h2, signal: abort.signal }))
      await until('the records over HTTP/2', () => run.records.length >= 4)
      abort.abort()
      await run.done
      expect(run.records.map(text)).toEqual(names('h2', 4))
    } finally {
      h2.destroy()
    }
  })

  it('subscribes again when a subscription ends, from where it stopped: no gap, no repeat, aggregates whole', async () => {
    const { stream, consumerARN } = await streamWithConsumer()
    // Client middleware: every subscription ends right after its first event with records.
    const seenRecords = new Set<number>()
    const ender = alteringClient((subscription, _e, member) => {
      if (seenRecords.has(subscription)) return 'end'
      if ((member.SubscribeToShardEvent?.Records?.length ?? 0) > 0) seenRecords.add(subscription)
      return member
    })
    const metrics = counter()
    const abort = new AbortController()
    const run = background(reader(consumerARN, { client: ender, metrics, signal: abort.signal }))
    const expected: string[] = []
    for (let round = 0; round < 4; round++) {
      await putRecords(client, stream, [...plain(`r${round}`, 3), aggregate(`r${round}-agg`, 3)])
      expected.push(...names(`r${round}`, 3), ...names(`r${round}-agg`, 3))
      await until(`round ${round}`, () => run.records.length >= expected.length)
    }
    abort.abort()
    await run.done
    ender.destroy()
    expect(run.records.map(text)).toEqual(expected)
    expect(metrics.sum('FanOut.Resubscriptions')).toBeGreaterThanOrEqual(3)
  })

  it('subscribes again after a stream error mid-flight, missing and repeating nothing', async () => {
    const { stream, consumerARN } = await streamWithConsumer()
    await putRecords(client, stream, plain('first', 4))
    // Client middleware: the first subscription fails with an InternalFailureException event
    // right after its first event with records.
    let failed = false
    const breaking = alteringClient((subscription, _e, member) => {
      if (subscription === 1 && failed) return 'throw'
      if ((member.SubscribeToShardEvent?.Records?.length ?? 0) > 0) failed = true
      return member
    })
    const lines: LoggedLine[] = []
    const metrics = counter()
    const abort = new AbortController()
    const run = background(
      reader(consumerARN, {
        client: breaking,
        metrics,
        logger: recordingLogger(lines),
        signal: abort.signal,
      }),
    )
    await until('the first records', () => run.records.length >= 4)
    await putRecords(client, stream, plain('second', 4))
    await until('the records after the error', () => run.records.length >= 8)
    abort.abort()
    await run.done
    breaking.destroy()
    expect(run.records.map(text)).toEqual([...names('first', 4), ...names('second', 4)])
    expect(metrics.sum('FanOut.Resubscriptions')).toBeGreaterThanOrEqual(1)
    expect(
      lines.some((l) => l.level === 'warn' && String(l.fields.err).includes('InternalFailure')),
    ).toBe(true)
  })

  it('retries a malformed event (no Records, no ContinuationSequenceNumber) and delivers nothing from it', async () => {
    const { stream, consumerARN } = await streamWithConsumer()
    await putRecords(client, stream, plain('m', 5))
    // Client middleware: the first subscription's first event loses Records, the second's loses
    // ContinuationSequenceNumber (with no ChildShards): both are faults, not answers.
    const malforming = alteringClient((subscription, event, member) => {
      const e = member.SubscribeToShardEvent
      if (e === undefined || event !== 1 || subscription > 2) return member
      if (subscription === 1) return { SubscribeToShardEvent: { ...e, Records: undefined } }
      return { SubscribeToShardEvent: { ...e, ContinuationSequenceNumber: undefined } }
    })
    const metrics = counter()
    const abort = new AbortController()
    const run = background(
      reader(consumerARN, { client: malforming, metrics, signal: abort.signal }),
    )
    await until('the records', () => run.records.length >= 5)
    abort.abort()
    await run.done
    malforming.destroy()
    expect(run.records.map(text)).toEqual(names('m', 5))
    expect(metrics.sum('MalformedResponses')).toBe(2)
    expect(metrics.sum('FanOut.Subscriptions')).toBeGreaterThanOrEqual(3)
  })

  it('waits while another subscription of the consumer holds the shard, then reads once it closes', async () => {
    const { stream, consumerARN } = await streamWithConsumer()
    await putRecords(client, stream, plain('held', 3))
    const firstAbort = new AbortController()
    const first = background(reader(consumerARN, { signal: firstAbort.signal }))
    await until('the first reader', () => first.records.length >= 3)

    const lines: LoggedLine[] = []
    const secondAbort = new AbortController()
    const second = background(
      reader(consumerARN, { logger: recordingLogger(lines), signal: secondAbort.signal }),
    )
    await until('a refusal', () =>
      lines.some((l) => String(l.fields.err).includes('ResourceInUseException')),
    )
    expect(second.records).toEqual([])
    firstAbort.abort()
    await first.done
    await until('the second reader', () => second.records.length >= 3)
    secondAbort.abort()
    await second.done
    expect(second.records.map(text)).toEqual(names('held', 3))
  })

  it('closes the subscription on abort, so the consumer can subscribe again', async () => {
    const { stream, consumerARN } = await streamWithConsumer()
    await putRecords(client, stream, plain('x', 2))
    const abort = new AbortController()
    const run = background(reader(consumerARN, { signal: abort.signal }))
    await until('the records', () => run.records.length >= 2)
    abort.abort(new Error('stop now'))
    expect(((await run.done) as Error).message).toBe('stop now')
    // Closed, not left open until it expires (5 minutes): a bare subscription gets in, once
    // kinesis-local has noticed the connection went.
    let subscribed = false
    for (let attempt = 0; attempt < 40 && !subscribed; attempt++) {
      const bare = new AbortController()
      try {
        await client.send(
          new SubscribeToShardCommand({
            ConsumerARN: consumerARN,
            ShardId: SHARD,
            StartingPosition: { Type: 'LATEST' },
          }),
          { abortSignal: bare.signal },
        )
        subscribed = true
      } catch (error) {
        expect((error as Error).name).toBe('ResourceInUseException')
        await new Promise((r) => setTimeout(r, 500))
      } finally {
        bare.abort()
      }
    }
    expect(subscribed).toBe(true)
  })

  it("ends with the shard's children from the final event after a split", async () => {
    const { stream, consumerARN } = await streamWithConsumer()
    await putRecords(client, stream, plain('parent', 3))
    await client.send(
      new SplitShardCommand({
        StreamName: stream,
        ShardToSplit: SHARD,
        NewStartingHashKey: (2n ** 127n).toString(),
      }),
    )
    await waitForStreamActive(client, stream)
    // kinesis-local (0.6.2) never sends the final event: its SubscribeToShardEvent is always built
    // without ChildShards, and a closed shard's subscription keeps sending empty events. Client
    // middleware: the first empty event after the records becomes the final event Kinesis sends,
    // with the children kinesis-local itself lists for the shard (the split above is real).
    const shards = await client.send(new ListShardsCommand({ StreamName: stream }))
    const children = (shards.Shards ?? [])
      .filter((s) => s.ParentShardId === SHARD)
      .map((s) => ({
        ShardId: s.ShardId ?? '',
        ParentShards: [SHARD],
        HashKeyRange: s.HashKeyRange ?? { StartingHashKey: '', EndingHashKey: '' },
      }))
    let recordsSeen = false
    const ending = alteringClient((_s, _e, member) => {
      const e = member.SubscribeToShardEvent
      if (e === undefined) return member
      if ((e.Records?.length ?? 0) > 0) recordsSeen = true
      else if (recordsSeen)
        return {
          SubscribeToShardEvent: {
            Records: [],
            ContinuationSequenceNumber: undefined,
            MillisBehindLatest: 0,
            ChildShards: children,
          },
        }
      return member
    })
    const run = background(reader(consumerARN, { client: ending }))
    expect(await run.done).toBeUndefined()
    ending.destroy()
    expect(run.records.map(text)).toEqual(names('parent', 3))
    const last = run.batches.at(-1)
    expect(last?.shardEnded).toBe(true)
    expect(last?.childShards?.map((c) => c.shardId).sort()).toEqual([
      'shardId-000000000001',
      'shardId-000000000002',
    ])
    expect(last?.childShards?.every((c) => c.parentShardIds.includes(SHARD))).toBe(true)
    expect(last?.childShards?.every((c) => c.hashKeyRange !== undefined)).toBe(true)
    expect(
      run.batches.slice(0, -1).every((b) => !b.shardEnded && b.childShards === undefined),
    ).toBe(true)
  })

  it('fails, rather than retrying for ever, when its consumer is not registered', async () => {
    const { consumerARN } = await streamWithConsumer()
    // Another name on the same stream, never registered (kinesis-local keeps serving a
    // deregistered consumer while it is DELETING, for longer than a test should wait).
    const ghost = consumerARN.replace('/consumer/reader:', '/consumer/ghost:')
    const run = background(reader(ghost))
    const error = await run.done
    expect(error).toBeInstanceOf(KineError)
    expect((error as KineError).message).toContain('not registered')
  })
})
