// ShardReader against fakes, on a ManualClock. Most tests use a fake KinesisClient (its `send`
// serves an in-memory shard and does not run the SDK's middleware; SDK retries are simulated with
// `$metadata.attempts`). Tests marked "real SDK client" run a real KinesisClient whose HTTP handler
// is the fake shard, or a client middleware that injects failures, so the SDK really retries.
// Faults (throttles, 5xx, hangs, malformed bodies, expiry) are all injected by these fakes.
import {
  AccessDeniedException,
  ExpiredIteratorException,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  type Shard,
} from '@aws-sdk/client-kinesis'
import { aggregateRecords } from '@kine-tools/local'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../clock.js'
import { AccessDeniedError, InvalidConfigError, ResourceNotFoundError } from '../errors.js'
import type { MetricName, MetricsSink } from '../metrics.js'
import {
  FakeShard,
  fakeClient,
  maxInWindow,
  recordingLogger,
  sdkClient,
  serviceError,
  settle,
} from '../../test/shard-reader-fakes.js'
import { ShardReader, type ShardBatch } from './shard-reader.js'
import type { ShardReaderOptions } from './shard-reader-options.js'

const SHARD = 'shardId-000000000000'
const decoder = new TextDecoder()
const text = (data: Uint8Array): string => decoder.decode(data)

interface Reading {
  readonly batches: ShardBatch[]
  error: unknown
  done: boolean
  readonly promise: Promise<void>
  texts(): string[]
  count(): number
}

/** Consumes a reader in the background; `hold` runs for each batch before the next is pulled. */
function reading(
  reader: ShardReader,
  hold?: (batch: ShardBatch, index: number) => Promise<void>,
): Reading {
  const state = {
    batches: [] as ShardBatch[],
    error: undefined as unknown,
    done: false,
    texts: () => state.batches.flatMap((b) => b.records.map((r) => text(r.data))),
    count: () => state.batches.reduce((n, b) => n + b.records.length, 0),
  }
  const promise = (async () => {
    try {
      for await (const batch of reader.read()) {
        state.batches.push(batch)
        if (hold) await hold(batch, state.batches.length - 1)
      }
    } catch (error) {
      state.error = error
    } finally {
      state.done = true
    }
  })()
  return Object.assign(state, { promise })
}

/** Moves the clock in `step` ms steps until `condition` holds (fails after `maxMs` of clock time). */
async function until(
  clock: ManualClock,
  condition: () => boolean,
  maxMs = 120_000,
  step = 10,
): Promise<void> {
  for (let t = 0; ; t += step) {
    await settle(2)
    if (condition()) return
    if (t >= maxMs) throw new Error(`not reached within ${maxMs} ms of clock time`)
    await clock.advance(step)
  }
}

function recorder(): MetricsSink & { sum(name: MetricName): number; rows: unknown[] } {
  const rows: { name: MetricName; value: number; dimensions: unknown }[] = []
  return {
    rows,
    record: (name, value, _unit, dimensions) => rows.push({ name, value, dimensions }),
    sum: (name) => rows.filter((r) => r.name === name).reduce((s, r) => s + r.value, 0),
  }
}

function setup(options: Partial<ShardReaderOptions> = {}, make = fakeClient) {
  const clock = new ManualClock()
  const shard = new FakeShard(SHARD, clock)
  const metrics = recorder()
  const build = (more: Partial<ShardReaderOptions> = {}): ShardReader =>
    new ShardReader({
      client: make(shard),
      streamName: 'orders',
      shardId: SHARD,
      position: 'TRIM_HORIZON',
      clock,
      metrics,
      ...options,
      ...more,
    })
  return { clock, shard, metrics, build }
}

const gaps = (times: readonly number[]): number[] =>
  times.slice(1).map((t, i) => t - (times[i] as number))

describe('ShardReader: positions and records', () => {
  it('reads every record in order from TRIM_HORIZON, handing the SDK bytes through', async () => {
    const { clock, shard, build } = setup({ limit: 7 })
    shard.putMany(30)
    shard.closed = true
    shard.childShards = []
    const r = reading(build())
    await until(clock, () => r.done)
    expect(r.error).toBeUndefined()
    expect(r.texts()).toEqual(Array.from({ length: 30 }, (_, i) => `r${i}`))
    const first = r.batches[0]?.records[0]
    expect(first?.data).toBe(shard.records[0]?.Data) // the same object: no copy
    expect(first).toMatchObject({
      partitionKey: 'pk',
      sequenceNumber: shard.records[0]?.SequenceNumber,
      subSequenceNumber: 0,
      aggregated: false,
      shardId: SHARD,
      approximateArrivalTimestamp: shard.records[0]?.ApproximateArrivalTimestamp,
    })
    expect(shard.calls.filter((c) => c.op === 'GetRecords').every((c) => c.input.Limit === 7)).toBe(
      true,
    )
  })

  it('from LATEST delivers only records written after it started', async () => {
    const { clock, shard, build } = setup()
    shard.putMany(3)
    const r = reading(build({ position: 'LATEST' }))
    await until(clock, () => shard.count('GetRecords') >= 1)
    shard.put({ data: 'new-1' }, { data: 'new-2' })
    await until(clock, () => r.texts().length === 2)
    expect(r.texts()).toEqual(['new-1', 'new-2'])
  })

  it.each([
    ['AT_SEQUENCE_NUMBER', 4, ['r4', 'r5']],
    ['AFTER_SEQUENCE_NUMBER', 4, ['r5']],
  ] as const)('from %s starts at the right record', async (type, index, expected) => {
    const { clock, shard, build } = setup()
    const seqs = shard.putMany(6)
    shard.closed = true
    const r = reading(build({ position: { type, sequenceNumber: seqs[index] as string } }))
    await until(clock, () => r.done)
    expect(r.texts()).toEqual(expected)
  })

  it('from AT_TIMESTAMP starts at the first record that arrived at or after it', async () => {
    const { clock, shard, build } = setup()
    shard.putMany(3)
    await clock.advance(60_000)
    const from = new Date(clock.wallNow())
    shard.put({ data: 'late-1' }, { data: 'late-2' })
    shard.closed = true
    const r = reading(build({ position: { type: 'AT_TIMESTAMP', timestamp: from } }))
    await until(clock, () => r.done)
    expect(r.texts()).toEqual(['late-1', 'late-2'])
    expect(shard.calls[0]?.input).toMatchObject({
      ShardIteratorType: 'AT_TIMESTAMP',
      Timestamp: from,
    })
  })

  it('de-aggregates KPL records into user records with sub-sequence numbers', async () => {
    const { clock, shard, build } = setup()
    const aggregate = aggregateRecords(
      ['a0', 'a1', 'a2'].map((data, i) => ({ data, partitionKey: `user-${i}` })),
    )
    const [seq] = shard.put({ data: aggregate.data, partitionKey: aggregate.partitionKey })
    shard.closed = true
    const r = reading(build())
    await until(clock, () => r.done)
    const records = r.batches.flatMap((b) => b.records)
    expect(
      records.map((u) => [
        text(u.data),
        u.partitionKey,
        u.sequenceNumber,
        u.subSequenceNumber,
        u.aggregated,
      ]),
    ).toEqual([
      ['a0', 'user-0', seq, 0, true],
      ['a1', 'user-1', seq, 1, true],
      ['a2', 'user-2', seq, 2, true],
    ])
  })

  it('resumes AFTER_CHECKPOINT inside an aggregate: nothing at or before it, everything after', async () => {
    const { clock, shard, build } = setup()
    const aggregate = aggregateRecords(
      ['a0', 'a1', 'a2', 'a3', 'a4'].map((data) => ({ data, partitionKey: 'k' })),
    )
    const [before] = shard.put({ data: 'plain-0' })
    const [aggSeq] = shard.put({ data: aggregate.data, partitionKey: 'k' })
    shard.put({ data: 'plain-2' })
    shard.closed = true

    const inside = reading(
      build({
        position: {
          type: 'AFTER_CHECKPOINT',
          sequenceNumber: aggSeq as string,
          subSequenceNumber: 2,
        },
      }),
    )
    await until(clock, () => inside.done)
    expect(inside.texts()).toEqual(['a3', 'a4', 'plain-2'])
    expect(shard.calls[0]?.input).toMatchObject({
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      StartingSequenceNumber: aggSeq,
    })

    const plain = reading(
      build({ position: { type: 'AFTER_CHECKPOINT', sequenceNumber: before as string } }),
    )
    await until(clock, () => plain.done)
    expect(plain.texts()).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'plain-2'])

    const last = reading(
      build({
        position: {
          type: 'AFTER_CHECKPOINT',
          sequenceNumber: aggSeq as string,
          subSequenceNumber: 4,
        },
      }),
    )
    await until(clock, () => last.done)
    expect(last.texts()).toEqual(['plain-2'])
  })

  it("drops aggregated user records outside the shard's hash-key range, keeping their numbering", async () => {
    const { clock, shard, build } = setup({
      hashKeyRange: { startingHashKey: '0', endingHashKey: (2n ** 127n - 1n).toString() },
    })
    const aggregate = aggregateRecords([
      { data: 'mine', partitionKey: 'k', explicitHashKey: '1' },
      { data: 'theirs', partitionKey: 'k', explicitHashKey: (2n ** 127n + 5n).toString() },
      { data: 'mine-too', partitionKey: 'k', explicitHashKey: '2' },
    ])
    shard.put({ data: aggregate.data, partitionKey: 'k' })
    shard.closed = true
    const r = reading(build())
    await until(clock, () => r.done)
    expect(
      r.batches.flatMap((b) => b.records).map((u) => [text(u.data), u.subSequenceNumber]),
    ).toEqual([
      ['mine', 0],
      ['mine-too', 2],
    ])
  })

  it('reports MillisBehindLatest and every GetRecords attempt with StreamName and ShardId', async () => {
    const { clock, shard, metrics, build } = setup({ limit: 2 })
    shard.putMany(4)
    shard.closed = true
    shard.inject('GetRecords', { attempts: 3 })
    const r = reading(build())
    await until(clock, () => r.done)
    expect(metrics.sum('GetRecords.Calls')).toBe(3 + 1) // 3 attempts for the first call, 1 for the last
    expect(metrics.rows).toContainEqual({
      name: 'MillisBehindLatest',
      value: 5_000,
      dimensions: { StreamName: 'orders', ShardId: SHARD },
    })
  })
})

describe('ShardReader: the throttle governor', () => {
  it('makes at most 5 GetRecords calls per second when behind, and no fewer than that allows', async () => {
    const { clock, shard, build } = setup({ limit: 2 })
    shard.putMany(100)
    const r = reading(build())
    await until(clock, () => r.texts().length === 100)
    const times = shard.attemptTimes('GetRecords')
    expect(times).toHaveLength(50)
    expect(maxInWindow(times)).toBe(5)
    expect((times.at(-1) as number) - (times[0] as number)).toBeLessThanOrEqual(9_000 + 100)
  })

  it('pays back SDK retries reported only in $metadata.attempts', async () => {
    // A client that hides its retries cannot be gated attempt by attempt: they are charged when
    // the response reports them, so the next calls wait and the average stays at 5 per second.
    const { clock, shard, build } = setup({ limit: 1 })
    shard.putMany(30)
    shard.closed = true
    for (let i = 0; i < 30; i++) shard.inject('GetRecords', { attempts: i % 2 === 0 ? 3 : 1 })
    const r = reading(build())
    await until(clock, () => r.done)
    const times = shard.attemptTimes('GetRecords')
    expect(times).toHaveLength(60)
    // At most one call's hidden retries above the limit in any second...
    expect(maxInWindow(times)).toBeLessThanOrEqual(5 + 2)
    // ...and 60 attempts take the 11 s that 5 per second allows (the first 5 at once).
    expect((times.at(-1) as number) - (times[0] as number)).toBeGreaterThanOrEqual(11_000)
  })

  it('gates every attempt of a real SDK client, its own retries of throttles included', async () => {
    const { clock, shard, metrics, build } = setup({ limit: 1 }, sdkClient)
    shard.putMany(20)
    // Each call is refused twice with a throttle: the SDK retries inside one send.
    for (let i = 0; i < 20; i++) {
      const throttle = new ProvisionedThroughputExceededException({
        message: 'slow down',
        $metadata: {},
      })
      shard.inject('GetRecords', { error: throttle }, { error: throttle })
      shard.inject('GetRecords', { attempts: 1 })
    }
    const r = reading(build())
    await until(clock, () => r.texts().length === 20)
    const times = shard.attemptTimes('GetRecords')
    expect(times.length).toBeGreaterThanOrEqual(60)
    expect(maxInWindow(times)).toBeLessThanOrEqual(5)
    expect(metrics.sum('GetRecords.Throttled')).toBeGreaterThanOrEqual(40)
    expect(r.texts()).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`))
  })

  it('gates SDK retries forced by a failing middleware on a real client', async () => {
    const { clock, shard, build } = setup({ limit: 1 }, sdkClient)
    shard.putMany(12)
    shard.closed = true
    const client = sdkClient(shard)
    const attempts: number[] = []
    let n = 0
    // Fails 2 of every 3 GetRecords attempts before they reach the wire; the SDK retries them.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'GetRecordsCommand') return next(args)
        attempts.push(clock.now())
        if (n++ % 3 !== 2) {
          throw Object.assign(new Error('Internal failure'), {
            name: 'InternalFailure',
            $fault: 'server',
            $metadata: { httpStatusCode: 500 },
          })
        }
        return next(args)
      },
      { step: 'deserialize', name: 'injectFailures' },
    )
    const r = reading(build({ client }))
    await until(clock, () => r.done)
    expect(r.texts()).toHaveLength(12)
    expect(attempts.length).toBe(36)
    expect(maxInWindow(attempts)).toBeLessThanOrEqual(5)
  })

  it('makes at most 5 GetShardIterator calls per second, retries included', async () => {
    const { clock, shard, build } = setup({ retryBaseDelayMs: 1, retryMaxDelayMs: 1 })
    shard.putMany(1)
    shard.closed = true
    for (let i = 0; i < 20; i++)
      shard.inject('GetShardIterator', { error: serviceError('InternalFailure', 500) })
    const r = reading(build())
    await until(clock, () => r.done)
    const times = shard.attemptTimes('GetShardIterator')
    expect(times).toHaveLength(21)
    expect(maxInWindow(times)).toBe(5)
    expect(r.texts()).toEqual(['r0'])
  })

  it('waits 5 s after a 10 MB response before the next GetRecords', async () => {
    const { clock, shard, build } = setup({ limit: 10 })
    shard.putMany(10, 1_000_000)
    shard.putMany(1)
    const r = reading(build())
    await until(clock, () => r.count() === 11)
    const [first, second] = shard.attemptTimes('GetRecords') as [number, number]
    expect(second - first).toBeGreaterThanOrEqual(5_000)
    expect(second - first).toBeLessThan(5_100)
  })

  it('keeps reads to 2 MB/s when behind', async () => {
    const { clock, shard, build } = setup({ limit: 5 })
    shard.putMany(200, 100_000) // 20 MB in responses of 500 KB
    const r = reading(build())
    await until(clock, () => r.count() === 200)
    const times = shard.attemptTimes('GetRecords')
    const span = (times.at(-1) as number) - (times[0] as number)
    // 39 responses are paid for before the 40th call: 19.5 MB at 2 MB/s.
    expect(span).toBeGreaterThanOrEqual(9_750)
    expect(span).toBeLessThan(10_500)
  })

  it('waits idleWaitMs between calls when caught up, and reads at full speed when behind', async () => {
    const { clock, shard, build } = setup({ limits: 'unlimited' })
    const idle = reading(build({ idleWaitMs: 300 }))
    await until(clock, () => shard.count('GetRecords') >= 6)
    expect(gaps(shard.attemptTimes('GetRecords'))).toEqual([300, 300, 300, 300, 300])
    expect(idle.batches.every((b) => b.records.length === 0 && b.millisBehindLatest === 0)).toBe(
      true,
    )

    const behind = setup({ limits: 'unlimited', limit: 1 })
    behind.shard.putMany(20)
    const fast = reading(behind.build())
    await until(behind.clock, () => fast.texts().length === 20)
    expect(new Set(behind.shard.attemptTimes('GetRecords'))).toEqual(new Set([0]))
  })

  it('waits 200 ms by default when caught up', async () => {
    const { clock, shard, build } = setup()
    reading(build())
    await until(clock, () => shard.count('GetRecords') >= 4)
    expect(gaps(shard.attemptTimes('GetRecords'))).toEqual([200, 200, 200])
  })
})

describe('ShardReader: failures', () => {
  it('backs off exponentially with jitter, within [step/2, step] and the cap', async () => {
    const randoms = [1, 0, 1, 0.5, 1, 0]
    const { clock, shard, build } = setup({
      retryBaseDelayMs: 200,
      retryMaxDelayMs: 2_000,
      random: () => randoms.shift() ?? 1,
    })
    shard.putMany(1)
    shard.closed = true
    for (let i = 0; i < 6; i++)
      shard.inject('GetRecords', { error: serviceError('InternalFailure', 500) })
    const r = reading(build())
    await until(clock, () => r.done, 60_000, 1)
    // steps 200, 400, 800, 1600, 2000 (cap), 2000; waits = step/2 + random·step/2
    expect(gaps(shard.attemptTimes('GetRecords'))).toEqual([200, 200, 800, 1_200, 2_000, 1_000])
    expect(r.texts()).toEqual(['r0'])
  })

  it('spreads retries out at random (default jitter)', async () => {
    const waits: number[] = []
    for (let run = 0; run < 5; run++) {
      const { clock, shard, build } = setup({ retryBaseDelayMs: 400, retryMaxDelayMs: 1_000 })
      shard.putMany(1)
      shard.closed = true
      shard.inject(
        'GetRecords',
        { error: serviceError('ServiceUnavailable', 503) },
        { error: serviceError('ServiceUnavailable', 503) },
      )
      const r = reading(build())
      await until(clock, () => r.done, 60_000, 1)
      waits.push(...gaps(shard.attemptTimes('GetRecords')))
    }
    const firsts = waits.filter((_, i) => i % 2 === 0)
    const seconds = waits.filter((_, i) => i % 2 === 1)
    for (const w of firsts) {
      expect(w).toBeGreaterThanOrEqual(200)
      expect(w).toBeLessThanOrEqual(401)
    }
    for (const w of seconds) {
      expect(w).toBeGreaterThanOrEqual(400)
      expect(w).toBeLessThanOrEqual(801)
    }
    expect(new Set(waits).size).toBeGreaterThan(3)
  })

  it('retries throttles and counts them', async () => {
    const { clock, shard, metrics, build } = setup()
    shard.putMany(3)
    shard.closed = true
    const throttle = new ProvisionedThroughputExceededException({
      message: 'Rate exceeded',
      $metadata: {},
    })
    shard.inject(
      'GetRecords',
      { error: throttle },
      { error: serviceError('KMSThrottlingException') },
    )
    const r = reading(build())
    await until(clock, () => r.done)
    expect(r.error).toBeUndefined()
    expect(r.texts()).toEqual(['r0', 'r1', 'r2'])
    expect(metrics.sum('GetRecords.Throttled')).toBe(2)
  })

  it.each([
    ['a network error', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['a 5xx', serviceError('ServiceUnavailable', 503)],
    ['an SDK request timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    ['LimitExceededException', serviceError('LimitExceededException')],
  ])('retries %s', async (_name, error) => {
    const { clock, shard, build } = setup()
    shard.putMany(2)
    shard.closed = true
    shard.inject('GetRecords', { error })
    shard.inject('GetShardIterator', { error })
    const r = reading(build())
    await until(clock, () => r.done)
    expect(r.error).toBeUndefined()
    expect(r.texts()).toEqual(['r0', 'r1'])
    expect(shard.count('GetShardIterator')).toBe(2)
    expect(shard.count('GetRecords')).toBe(2)
  })

  it('surfaces an error retrying cannot fix as a KineError keeping the SDK error', async () => {
    const { clock, shard, build } = setup()
    const invalid = serviceError(
      'InvalidArgumentException',
      400,
      'StartingSequenceNumber is not in the shard',
    )
    shard.inject('GetShardIterator', { error: invalid })
    const r = reading(build())
    await until(clock, () => r.done)
    expect(r.error).toMatchObject({ code: 'AWS_ERROR', retryable: false, cause: invalid })
    expect(shard.count('GetShardIterator')).toBe(1)
  })

  it('after an expired iterator resumes right after the last delivered record: no gap, no repeat', async () => {
    const { clock, shard, metrics, build } = setup({ limit: 3 })
    const seqs = shard.putMany(10)
    shard.closed = true
    // The consumer holds the first batch past the iterator's 5-minute life.
    const r = reading(build(), async (_batch, i) => {
      if (i === 0) await clock.sleep(301_000)
    })
    await until(clock, () => r.done, 400_000, 500)
    expect(r.error).toBeUndefined()
    expect(r.texts()).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`))
    const iterators = shard.calls.filter((c) => c.op === 'GetShardIterator').map((c) => c.input)
    expect(iterators).toHaveLength(2)
    expect(iterators[1]).toMatchObject({
      ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
      StartingSequenceNumber: seqs[2],
    })
    expect(metrics.sum('ExpiredIterators')).toBe(1)
  })

  it('after an expired iterator with nothing delivered yet, starts again from the original position', async () => {
    const { clock, shard, build } = setup()
    const seqs = shard.putMany(3)
    shard.closed = true
    shard.inject('GetRecords', {
      error: new ExpiredIteratorException({ message: 'Iterator expired', $metadata: {} }),
    })
    const r = reading(
      build({ position: { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: seqs[1] as string } }),
    )
    await until(clock, () => r.done)
    const iterators = shard.calls.filter((c) => c.op === 'GetShardIterator').map((c) => c.input)
    expect(iterators[1]).toEqual(iterators[0])
    expect(r.texts()).toEqual(['r1', 'r2'])
  })

  it('after an expired LATEST iterator with nothing read yet, resumes from when LATEST began', async () => {
    const { clock, shard, build } = setup()
    shard.putMany(2)
    await clock.advance(1_000)
    const started = clock.wallNow()
    // The consumer holds the first (empty) batch past the iterator's life while records arrive.
    const r = reading(build({ position: 'LATEST' }), async (_batch, i) => {
      if (i === 0) {
        await clock.sleep(1_000)
        shard.put({ data: 'during-the-stall' })
        await clock.sleep(300_000)
      }
    })
    await until(clock, () => r.texts().length > 0, 400_000, 500)
    expect(r.texts()).toEqual(['during-the-stall'])
    const [, renewed] = shard.calls.filter((c) => c.op === 'GetShardIterator')
    expect(renewed?.input).toMatchObject({
      ShardIteratorType: 'AT_TIMESTAMP',
      Timestamp: new Date(started),
    })
  })

  it('retries a response without Records, with the same iterator, counting and logging it (fake client)', async () => {
    // The fake client answers the first GetRecords without Records, to force the malformed path.
    const logger = recordingLogger()
    const { clock, shard, metrics, build } = setup({ logger })
    shard.putMany(3)
    shard.closed = true
    shard.inject('GetRecords', { patch: { Records: undefined } })
    const r = reading(build())
    await until(clock, () => r.done)
    const [bad, good] = shard.calls.filter((c) => c.op === 'GetRecords')
    expect(good?.input.ShardIterator).toBe(bad?.input.ShardIterator)
    expect(r.texts()).toEqual(['r0', 'r1', 'r2'])
    expect(metrics.sum('GetRecords.Errors')).toBe(1)
    expect(metrics.rows).toContainEqual({
      name: 'MalformedResponses',
      value: 1,
      dimensions: { StreamName: 'orders', ShardId: SHARD },
    })
    expect(malformedWarnings(logger)).toEqual([{ operation: 'GetRecords', shardId: SHARD }])
  })

  it('retries a response with a record without a sequence number, with the same iterator (fake client)', async () => {
    // The fake client answers the first GetRecords with a record lacking SequenceNumber.
    const logger = recordingLogger()
    const { clock, shard, metrics, build } = setup({ logger })
    shard.putMany(3)
    shard.closed = true
    shard.inject('GetRecords', {
      patch: { Records: [{ Data: new TextEncoder().encode('odd'), PartitionKey: 'p' }] },
    })
    const r = reading(build())
    await until(clock, () => r.done)
    const [bad, good] = shard.calls.filter((c) => c.op === 'GetRecords')
    expect(good?.input.ShardIterator).toBe(bad?.input.ShardIterator)
    expect(r.error).toBeUndefined()
    expect(r.texts()).toEqual(['r0', 'r1', 'r2'])
    expect(metrics.sum('MalformedResponses')).toBe(1)
    expect(malformedWarnings(logger)).toEqual([{ operation: 'GetRecords', shardId: SHARD }])
  })

  it('retries a truncated response body (real SDK client)', async () => {
    const { clock, shard, metrics, build } = setup({}, sdkClient)
    shard.putMany(3)
    shard.closed = true
    shard.inject('GetRecords', { truncate: true })
    const r = reading(build())
    await until(clock, () => r.done)
    expect(r.error).toBeUndefined()
    const [bad, good] = shard.calls.filter((c) => c.op === 'GetRecords')
    expect(good?.input.ShardIterator).toBe(bad?.input.ShardIterator)
    expect(r.texts()).toEqual(['r0', 'r1', 'r2'])
    expect(shard.count('GetRecords')).toBe(2) // the truncated one, then the records and the end
    expect(metrics.sum('GetRecords.Errors')).toBe(1)
  })

  it.each([
    ['fake client', fakeClient],
    ['real SDK client', sdkClient],
  ])('aborts a hung request after requestTimeoutMs and retries it (%s)', async (_name, make) => {
    const { clock, shard, build } = setup({ requestTimeoutMs: 1_000 }, make)
    shard.putMany(2)
    shard.closed = true
    shard.inject('GetRecords', { hang: true })
    const r = reading(build())
    await until(clock, () => r.done)
    expect(r.error).toBeUndefined()
    expect(r.texts()).toEqual(['r0', 'r1'])
    const [hung, retry] = shard.attemptTimes('GetRecords') as [number, number]
    expect(retry - hung).toBeGreaterThanOrEqual(1_000)
    expect(retry - hung).toBeLessThan(1_000 + 300)
  })

  it('surfaces access denied as AccessDeniedError, without retrying', async () => {
    const { clock, shard, build } = setup()
    shard.inject('GetShardIterator', {
      error: new AccessDeniedException({ message: 'not allowed', $metadata: {} }),
    })
    const r = reading(build())
    await until(clock, () => r.done)
    expect(r.error).toBeInstanceOf(AccessDeniedError)
    expect((r.error as Error).cause).toBeInstanceOf(AccessDeniedException)
    expect(shard.count('GetShardIterator')).toBe(1)
  })

  it('gives up after maxRetries consecutive failures with the last error', async () => {
    const { clock, shard, build } = setup({ maxRetries: 2 })
    for (let i = 0; i < 5; i++)
      shard.inject('GetRecords', { error: serviceError('ProvisionedThroughputExceededException') })
    const r = reading(build())
    await until(clock, () => r.done)
    expect(r.error).toMatchObject({ code: 'THROTTLED', retryable: true })
    expect(shard.count('GetRecords')).toBe(3)
  })
})

describe('ShardReader: stopping', () => {
  it.each([
    ['fake client', fakeClient],
    ['real SDK client', sdkClient],
  ])(
    'an abort settles an in-flight read at once, with the abort reason (%s)',
    async (_name, make) => {
      const controller = new AbortController()
      const { clock, shard, build } = setup({ signal: controller.signal }, make)
      shard.inject('GetRecords', { hang: true })
      const r = reading(build())
      await until(clock, () => shard.count('GetRecords') === 1)
      const reason = new Error('lease lost')
      controller.abort(reason)
      await settle(2)
      expect(r.done).toBe(true)
      expect(r.error).toBe(reason)
      expect(clock.pending).toBe(0) // no timer left behind
    },
  )

  it('an abort cuts the idle wait and a backoff short', async () => {
    for (const phase of ['idle', 'backoff'] as const) {
      const controller = new AbortController()
      const { clock, shard, build } = setup({
        signal: controller.signal,
        retryBaseDelayMs: 60_000,
        retryMaxDelayMs: 60_000,
      })
      if (phase === 'backoff')
        shard.inject('GetRecords', { error: serviceError('InternalFailure', 500) })
      const r = reading(build())
      await until(clock, () => shard.count('GetRecords') === 1)
      await settle(2)
      expect(clock.pending).toBe(1) // asleep
      controller.abort()
      await settle(2)
      expect(r.done).toBe(true)
      expect(r.error).toBe(controller.signal.reason)
      expect(clock.pending).toBe(0)
    }
  })

  it('an abort while the consumer holds a batch makes no further call', async () => {
    const controller = new AbortController()
    const { clock, shard, build } = setup({ signal: controller.signal })
    shard.putMany(2)
    const r = reading(build(), async () => {
      controller.abort()
      await Promise.resolve()
    })
    await until(clock, () => r.done)
    expect(r.batches).toHaveLength(1)
    expect(shard.count('GetRecords')).toBe(1)
  })

  it('breaking out closes the read; a new read resumes after the last record', async () => {
    const { clock, shard, build } = setup({ limit: 2 })
    shard.putMany(5)
    shard.closed = true
    const reader = build()
    const seen: string[] = []
    const first = (async () => {
      for await (const batch of reader) {
        seen.push(...batch.records.map((x) => text(x.data)))
        break
      }
    })()
    await until(clock, () => seen.length === 2)
    await first
    expect(reader.lastSequenceNumber).toBe(shard.records[1]?.SequenceNumber)
    const rest = reading(reader)
    await until(clock, () => rest.done)
    expect([...seen, ...rest.texts()]).toEqual(['r0', 'r1', 'r2', 'r3', 'r4'])
  })

  it('refuses a second read while one is running', async () => {
    const { clock, build } = setup()
    const reader = build()
    const a = reading(reader)
    await until(clock, () => a.batches.length > 0)
    const second = await reader
      .read()
      .next()
      .catch((e: unknown) => e)
    expect(second).toBeInstanceOf(InvalidConfigError)
    expect((second as Error).message).toMatch(/already being read/)
  })
})

describe('ShardReader: shard end', () => {
  it('ends with the ChildShards of the last response (Kinesis, kinesis-local)', async () => {
    const { clock, shard, build } = setup()
    shard.putMany(3)
    shard.closed = true
    shard.childShards = [
      {
        ShardId: 'shardId-000000000001',
        ParentShards: [SHARD],
        HashKeyRange: { StartingHashKey: '0', EndingHashKey: '99' },
      },
      {
        ShardId: 'shardId-000000000002',
        ParentShards: [SHARD],
        HashKeyRange: { StartingHashKey: '100', EndingHashKey: '199' },
      },
    ]
    const r = reading(build())
    await until(clock, () => r.done)
    const last = r.batches.at(-1)
    expect(last).toMatchObject({ shardEnded: true })
    expect(last?.childShards).toEqual([
      {
        shardId: 'shardId-000000000001',
        parentShardIds: [SHARD],
        hashKeyRange: { startingHashKey: '0', endingHashKey: '99' },
      },
      {
        shardId: 'shardId-000000000002',
        parentShardIds: [SHARD],
        hashKeyRange: { startingHashKey: '100', endingHashKey: '199' },
      },
    ])
    expect(r.batches.slice(0, -1).every((b) => !b.shardEnded && b.childShards === undefined)).toBe(
      true,
    )
    expect(shard.count('ListShards')).toBe(0)
  })

  it('without ChildShards, finds the children with ListShards (kinesalite), after its extra empty read', async () => {
    const { clock, shard, build } = setup()
    shard.putMany(3)
    shard.closed = true
    shard.endNeedsEmptyRead = true
    shard.shards = [
      {
        ShardId: SHARD,
        HashKeyRange: { StartingHashKey: '0', EndingHashKey: '99' },
        SequenceNumberRange: { StartingSequenceNumber: '1' },
      },
      {
        ShardId: 'shardId-000000000001',
        HashKeyRange: { StartingHashKey: '100', EndingHashKey: '199' },
        SequenceNumberRange: { StartingSequenceNumber: '1' },
      },
      {
        ShardId: 'shardId-000000000002',
        ParentShardId: 'shardId-000000000001',
        AdjacentParentShardId: SHARD,
        HashKeyRange: { StartingHashKey: '0', EndingHashKey: '199' },
        SequenceNumberRange: { StartingSequenceNumber: '2' },
      },
    ]
    const r = reading(build())
    await until(clock, () => r.done)
    expect(r.texts()).toEqual(['r0', 'r1', 'r2'])
    expect(r.batches.at(-1)?.childShards).toEqual([
      {
        shardId: 'shardId-000000000002',
        parentShardIds: ['shardId-000000000001', SHARD],
        hashKeyRange: { startingHashKey: '0', endingHashKey: '199' },
      },
    ])
    expect(shard.calls.find((c) => c.op === 'ListShards')?.input).toMatchObject({
      StreamName: 'orders',
      ShardFilter: { Type: 'AFTER_SHARD_ID', ShardId: SHARD },
    })
  })
})

describe('ShardReader: options', () => {
  it('lists every problem in one InvalidConfigError', () => {
    const { shard } = setup()
    let error: unknown
    try {
      new ShardReader({
        client: fakeClient(shard),
        shardId: '',
        position: { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: 'TRIM_HORIZON' },
        limit: 20_000,
        limits: { getRecordsPerSecond: 0 },
        requestTimeoutMs: 0,
        retryBaseDelayMs: 5_000,
        retryMaxDelayMs: 1_000,
        hashKeyRange: { startingHashKey: '10', endingHashKey: '1' },
      })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InvalidConfigError)
    expect((error as InvalidConfigError).problems).toEqual([
      'shardId: expected a non-empty string, got ""',
      'limit: expected an integer from 1 to 10000, got 20000',
      'streamName, streamARN: give at least one',
      'position.sequenceNumber: expected a Kinesis sequence number (a string of digits)',
      'limits.getRecordsPerSecond: expected a positive integer or Infinity',
      'requestTimeoutMs: expected a positive number of milliseconds or Infinity',
      'retryBaseDelayMs: must not exceed retryMaxDelayMs',
      'hashKeyRange: startingHashKey is greater than endingHashKey',
    ])
  })

  it('takes the StreamName dimension from the ARN when only an ARN is given', async () => {
    const { clock, shard, metrics, build } = setup({
      streamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/orders-arn',
    })
    shard.closed = true
    const reader = build({ streamName: undefined } as never)
    const r = reading(reader)
    await until(clock, () => r.done)
    expect(shard.calls[0]?.input).toMatchObject({
      StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/orders-arn',
    })
    expect(shard.calls[0]?.input).not.toHaveProperty('StreamName')
    expect(metrics.rows[0]).toMatchObject({
      dimensions: { StreamName: 'orders-arn', ShardId: SHARD },
    })
  })
})

/** The warnings about malformed responses: each one's operation and shard. */
function malformedWarnings(logger: ReturnType<typeof recordingLogger>): unknown[] {
  return logger.lines
    .filter((l) => l.level === 'warn' && /malformed/.test(l.message ?? ''))
    .map((l) => ({ operation: l.fields.operation, shardId: l.fields.shardId }))
}

const OTHER = 'shardId-000000000009'
const shardEntry = (id: string, parent?: string): Shard => ({
  ShardId: id,
  ...(parent !== undefined ? { ParentShardId: parent } : {}),
  HashKeyRange: { StartingHashKey: '0', EndingHashKey: '99' },
  SequenceNumberRange: { StartingSequenceNumber: '1' },
})
const listed = (...ids: string[]): Shard[] => ids.map((id) => shardEntry(id))

describe('ShardReader: malformed responses are retried, never taken as the end', () => {
  // Each test fakes the client so that it answers the way no healthy Kinesis does.

  it('GetShardIterator answering without ShardIterator on an open shard: retried with backoff, no shard-end batch (fake client)', async () => {
    const logger = recordingLogger()
    const { clock, shard, metrics, build } = setup({ logger })
    shard.putMany(3)
    shard.inject(
      'GetShardIterator',
      { patch: { ShardIterator: undefined } },
      { patch: { ShardIterator: undefined } },
    )
    const controller = new AbortController()
    const r = reading(build({ signal: controller.signal }))
    await until(clock, () => r.count() === 3)
    controller.abort()
    await r.promise
    expect(r.texts()).toEqual(['r0', 'r1', 'r2'])
    expect(r.batches.some((b) => b.shardEnded)).toBe(false)
    const times = shard.attemptTimes('GetShardIterator')
    expect(times).toHaveLength(3)
    // The default backoff: 200 ms then 400 ms, each jittered down to no less than half.
    expect(gaps(times)[0]).toBeGreaterThanOrEqual(100)
    expect(gaps(times)[1]).toBeGreaterThanOrEqual(200)
    expect(
      metrics.rows.filter((row) => (row as { name: string }).name === 'MalformedResponses'),
    ).toEqual([
      {
        name: 'MalformedResponses',
        value: 1,
        dimensions: { StreamName: 'orders', ShardId: SHARD },
      },
      {
        name: 'MalformedResponses',
        value: 1,
        dimensions: { StreamName: 'orders', ShardId: SHARD },
      },
    ])
    expect(malformedWarnings(logger)).toEqual([
      { operation: 'GetShardIterator', shardId: SHARD },
      { operation: 'GetShardIterator', shardId: SHARD },
    ])
  })

  it('GetShardIterator never answering with ShardIterator: gives up after maxRetries with MALFORMED_RESPONSE, never ends the shard (fake client)', async () => {
    const { clock, shard, build } = setup({ maxRetries: 2 })
    shard.putMany(3)
    shard.closed = true
    for (let i = 0; i < 5; i++)
      shard.inject('GetShardIterator', { patch: { ShardIterator: undefined } })
    const r = reading(build())
    await until(clock, () => r.done)
    expect(r.batches).toEqual([])
    expect(r.error).toMatchObject({ code: 'MALFORMED_RESPONSE', retryable: true })
    expect(shard.count('GetShardIterator')).toBe(3)
  })

  it.each([
    [
      'without ParentShards',
      {
        ShardId: 'shardId-000000000001',
        HashKeyRange: { StartingHashKey: '0', EndingHashKey: '99' },
      },
    ],
    [
      'with empty ParentShards',
      {
        ShardId: 'shardId-000000000001',
        ParentShards: [],
        HashKeyRange: { StartingHashKey: '0', EndingHashKey: '99' },
      },
    ],
    [
      'without ShardId',
      { ParentShards: [SHARD], HashKeyRange: { StartingHashKey: '0', EndingHashKey: '99' } },
    ],
  ])(
    'a final response with a ChildShards entry %s is asked again with the same iterator: every child, with its parents (fake client)',
    async (_name, bad) => {
      const logger = recordingLogger()
      const { clock, shard, metrics, build } = setup({ logger })
      shard.putMany(3)
      shard.closed = true
      const children = [
        {
          ShardId: 'shardId-000000000001',
          ParentShards: [SHARD],
          HashKeyRange: { StartingHashKey: '0', EndingHashKey: '99' },
        },
        {
          ShardId: 'shardId-000000000002',
          ParentShards: [SHARD],
          HashKeyRange: { StartingHashKey: '100', EndingHashKey: '199' },
        },
      ]
      shard.childShards = children
      shard.inject('GetRecords', { patch: { ChildShards: [bad, children[1]] } })
      const r = reading(build())
      await until(clock, () => r.done)
      expect(r.error).toBeUndefined()
      expect(r.texts()).toEqual(['r0', 'r1', 'r2'])
      expect(r.batches.at(-1)?.childShards).toEqual([
        {
          shardId: 'shardId-000000000001',
          parentShardIds: [SHARD],
          hashKeyRange: { startingHashKey: '0', endingHashKey: '99' },
        },
        {
          shardId: 'shardId-000000000002',
          parentShardIds: [SHARD],
          hashKeyRange: { startingHashKey: '100', endingHashKey: '199' },
        },
      ])
      const [first, second] = shard.calls.filter((c) => c.op === 'GetRecords')
      expect(second?.input.ShardIterator).toBe(first?.input.ShardIterator)
      expect(metrics.sum('MalformedResponses')).toBe(1)
      expect(malformedWarnings(logger)).toEqual([{ operation: 'GetRecords', shardId: SHARD }])
    },
  )

  it('a shard end without ChildShards (kinesalite) still ends with the children from ListShards (fake client)', async () => {
    const { clock, shard, metrics, build } = setup()
    shard.putMany(2)
    shard.closed = true
    shard.shards = [...listed(SHARD), shardEntry('shardId-000000000001', SHARD)]
    const r = reading(build())
    await until(clock, () => r.done)
    expect(r.batches.at(-1)).toMatchObject({
      shardEnded: true,
      childShards: [{ shardId: 'shardId-000000000001', parentShardIds: [SHARD] }],
    })
    expect(metrics.sum('MalformedResponses')).toBe(0)
  })

  it('ListShards for the children answering without Shards is asked again, never read as "no children" (fake client)', async () => {
    const logger = recordingLogger()
    const { clock, shard, metrics, build } = setup({ logger })
    shard.putMany(2)
    shard.closed = true
    shard.shards = [...listed(SHARD), shardEntry('shardId-000000000001', SHARD)]
    shard.inject('ListShards', { patch: { Shards: undefined } })
    const r = reading(build())
    await until(clock, () => r.done)
    expect(r.batches.at(-1)?.childShards).toEqual([
      {
        shardId: 'shardId-000000000001',
        parentShardIds: [SHARD],
        hashKeyRange: { startingHashKey: '0', endingHashKey: '99' },
      },
    ])
    expect(shard.count('ListShards')).toBe(2)
    expect(metrics.rows).toContainEqual({
      name: 'MalformedResponses',
      value: 1,
      dimensions: { StreamName: 'orders' },
    })
    expect(
      logger.lines.some(
        (l) =>
          l.level === 'warn' && l.fields.operation === 'ListShards' && l.fields.shardId === SHARD,
      ),
    ).toBe(true)
  })
})

describe('ShardReader: ResourceNotFoundException is checked against a complete ListShards', () => {
  // The fake client answers GetShardIterator or GetRecords with ResourceNotFoundException, and
  // ListShards with or without the shard, to force each branch. The messages are the emulators'
  // own: the reader must not read them.

  it("the shard not listed: SHARD_NOT_FOUND, from an unfiltered listing (kinesis-local's message) (fake client)", async () => {
    const { clock, shard, build } = setup()
    shard.putMany(3)
    shard.shards = listed(OTHER)
    shard.inject('GetRecords', {
      error: new ResourceNotFoundException({
        message: `Could not find shardId ${SHARD} in stream orders`,
        $metadata: {},
      }),
    })
    const r = reading(build())
    await until(clock, () => r.done)
    expect(r.error).toBeInstanceOf(ResourceNotFoundError)
    expect(r.error).toMatchObject({ code: 'SHARD_NOT_FOUND', retryable: false })
    expect((r.error as Error).cause).toBeInstanceOf(ResourceNotFoundException)
    expect(shard.count('GetRecords')).toBe(1)
    expect(shard.calls.filter((c) => c.op === 'ListShards').map((c) => c.input)).toEqual([
      { StreamName: 'orders', MaxResults: 1000 },
    ])
  })

  it("the stream missing: STREAM_NOT_FOUND, though the message names the shard (kinesalite's message) (real SDK client)", async () => {
    const gone = setup({}, sdkClient)
    gone.shard.inject('GetShardIterator', {
      error: serviceError(
        'ResourceNotFoundException',
        400,
        `Shard ${SHARD} in stream orders under account 000000000000 does not exist`,
      ),
    })
    gone.shard.inject('ListShards', {
      error: serviceError(
        'ResourceNotFoundException',
        400,
        'Stream orders under account 000000000000 not found.',
      ),
    })
    const s = reading(gone.build())
    await until(gone.clock, () => s.done)
    expect(s.error).toBeInstanceOf(ResourceNotFoundError)
    expect(s.error).toMatchObject({ code: 'STREAM_NOT_FOUND', retryable: false })
    expect(gone.shard.count('GetShardIterator')).toBe(1)
  })

  it('the shard listed (on the second page): a fault, retried with backoff; the records still come (fake client)', async () => {
    const logger = recordingLogger()
    const { clock, shard, build } = setup({ logger })
    shard.putMany(3)
    shard.closed = true
    shard.childShards = []
    shard.shards = listed(SHARD)
    shard.inject('GetRecords', {
      error: new ResourceNotFoundException({
        message: `Shard ${SHARD} in stream orders does not exist`,
        $metadata: {},
      }),
    })
    shard.inject('ListShards', { patch: { Shards: listed(OTHER), NextToken: 't1' } })
    const r = reading(build())
    await until(clock, () => r.done)
    expect(r.error).toBeUndefined()
    expect(r.texts()).toEqual(['r0', 'r1', 'r2'])
    // (Calls after the second are the end's search for children.)
    expect(
      shard.calls
        .filter((c) => c.op === 'ListShards')
        .slice(0, 2)
        .map((c) => c.input),
    ).toEqual([
      { StreamName: 'orders', MaxResults: 1000 },
      { NextToken: 't1', MaxResults: 1000 },
    ])
    const [failed, retried] = shard.attemptTimes('GetRecords') as [number, number]
    expect(retried - failed).toBeGreaterThanOrEqual(100)
    expect(
      logger.lines
        .filter((l) => l.level === 'warn')
        .map((l) => [l.fields.operation, l.fields.shardId]),
    ).toEqual([['GetRecords', SHARD]])
  })

  it('a shard newer than every listed shard is not listed yet: retried, never SHARD_NOT_FOUND (fake client)', async () => {
    const { clock, shard, build } = setup({ maxRetries: 2 })
    shard.putMany(3)
    // No shard newer than it is listed: a child the listing does not show yet (eventual
    // consistency), not an aged-out shard, which always has newer shards beside it.
    shard.shards = []
    for (let i = 0; i < 2; i++)
      shard.inject('GetShardIterator', {
        error: new ResourceNotFoundException({
          message: `Could not find shardId ${SHARD} in stream orders`,
          $metadata: {},
        }),
      })
    const r = reading(build())
    await until(clock, () => r.done || r.batches.length > 0)
    expect(r.error).toBeUndefined()
    expect(r.batches[0]?.records).toHaveLength(3)
    expect(shard.count('GetShardIterator')).toBe(3)
  })

  it('the shard listed but always "not found": counts toward maxRetries, then a retryable error, never SHARD_NOT_FOUND (fake client)', async () => {
    const { clock, shard, build } = setup({ maxRetries: 2 })
    shard.putMany(3)
    shard.shards = listed(SHARD)
    for (let i = 0; i < 5; i++)
      shard.inject('GetShardIterator', {
        error: new ResourceNotFoundException({
          message: `Shard ${SHARD} does not exist`,
          $metadata: {},
        }),
      })
    const r = reading(build())
    await until(clock, () => r.done)
    expect(r.batches).toEqual([])
    expect(r.error).toMatchObject({ code: 'TRANSIENT', retryable: true })
    expect(shard.count('GetShardIterator')).toBe(3)
  })
})
