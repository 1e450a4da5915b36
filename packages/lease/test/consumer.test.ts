// The Consumer against kinesis-local, on dynalite and on DynamoDB Local (Amazon's own engine, so a
// dynalite quirk can neither hide nor fake a result; skipped, and said so, without Java):
// processing, checkpoints, release on stop, the KCL item format, handler retries, manual
// checkpoints, start-up races and bad input. "rule N" is rule N of docs/lease-protocol.md.
import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import { InvalidConfigError, type Logger } from '@kine/core'
import { checkpointLeaseInput, takeLeaseInput } from '@kine/core/lease-table'
import { createStream, javaAvailable, type DynamoEngine } from '@kine-tools/local'
import { getLease, newStream, readLeases, uniqueName, useEnv, waitFor } from '@kine-tools/testkit'
import { describe, expect, it } from 'vitest'
import { Consumer } from '../src/index.js'
import {
  kclFormatProblems,
  leasedStream,
  put,
  Recorder,
  syncLeases,
  testConsumer,
} from './helpers.js'

/** The lease duration testConsumer gives every worker: bounds below are multiples of it. */
const F = 2_000

const engines: DynamoEngine[] = javaAvailable() ? ['dynalite', 'dynamodb-local'] : ['dynalite']
if (engines.length === 1)
  console.warn('java not found: the Consumer suite runs on dynalite only, not on DynamoDB Local')

function captureLogger(
  lines: { level: string; fields: Record<string, unknown>; msg: string | undefined }[],
): Logger {
  const make = (level: string) => (a: Record<string, unknown> | string, b?: string) =>
    lines.push(typeof a === 'string' ? { level, fields: {}, msg: a } : { level, fields: a, msg: b })
  const logger: Logger = {
    trace: make('trace'),
    debug: make('debug'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    child: () => logger,
  }
  return logger
}

describe.each(engines)('Consumer on %s', (dynamo) => {
  const env = useEnv({ dynamo })

  it('processes every record, checkpoints the last one, releases on stop, in the KCL format', async () => {
    const { stream, table } = await leasedStream(env, 'basic', 2)
    const sent = await put(env, stream, 'b', 40)
    const recorder = new Recorder()
    const metrics: {
      name: string
      value: number
      unit: string
      dims: Record<string, string | undefined>
    }[] = []
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-a',
      metrics: { record: (name, value, unit, dims) => metrics.push({ name, value, unit, dims }) },
    })
    try {
      await consumer.start()
      expect(
        consumer
          .leases()
          .map((l) => l.shardId)
          .sort(),
      ).toHaveLength(2)
      await waitFor('every record', () => recorder.distinct().size === sent.length)
      const held = await readLeases(env.dynamodb, table)
      for (const lease of held.leases.values()) expect(lease.leaseOwner).toBe('worker-a')
      await consumer.stop()
      const { leases, items } = await readLeases(env.dynamodb, table)
      for (const lease of leases.values()) {
        expect(lease.leaseOwner).toBeUndefined()
        const last = recorder.seen.filter((s) => s.shardId === lease.leaseKey).at(-1)!
        expect(lease.checkpoint).toBe(last.sequenceNumber)
      }
      // Golden: what the worker wrote has the KCL's names and types, and nothing else.
      expect(kclFormatProblems(items)).toEqual([])
      const sum = (name: string): number =>
        metrics.filter((x) => x.name === name).reduce((a, x) => a + x.value, 0)
      expect(sum('RecordsProcessed')).toBe(sent.length)
      expect(sum('BytesProcessed')).toBe(sent.reduce((a, d) => a + d.length, 0))
      expect(sum('LeasesTaken')).toBe(2)
      expect(sum('Checkpoints')).toBeGreaterThanOrEqual(2)
      expect(metrics.find((x) => x.name === 'LeasesHeld')?.dims).toEqual({
        StreamName: stream,
        WorkerId: 'worker-a',
      })
      expect(metrics.find((x) => x.name === 'RecordsProcessed')?.dims.ShardId).toMatch(/^shardId-/)
      expect(
        metrics.some((x) => x.name === 'ShardIteratorAgeInMs' && x.unit === 'Milliseconds'),
      ).toBe(true)
      expect(recorder.duplicates()).toBe(0)
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })

  it('retries a batch whose handler throws twice, skipping nothing and checkpointing nothing early', async () => {
    const { stream, table } = await leasedStream(env, 'retry', 1)
    const sent = await put(env, stream, 'r', 10)
    const recorder = new Recorder()
    const checkpointsAtAttempt: string[] = []
    let failures = 0
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-r',
      async processRecords(records, ctx) {
        checkpointsAtAttempt.push((await getLease(env.dynamodb, table, ctx.shardId))!.checkpoint)
        if (failures < 2) {
          failures++
          throw new Error(`boom ${ctx.attempt}`)
        }
      },
    })
    const errors: number[] = []
    consumer.on('handlerError', (e) => errors.push(e.attempt))
    try {
      await consumer.start()
      await waitFor('every record', () => recorder.distinct().size === sent.length)
      expect(errors).toEqual([1, 2])
      // Attempts 1-3 of the first batch all saw the checkpoint before it.
      expect(checkpointsAtAttempt.slice(0, 3)).toEqual([
        'TRIM_HORIZON',
        'TRIM_HORIZON',
        'TRIM_HORIZON',
      ])
      expect(recorder.seen.map((s) => s.data)).toEqual(sent)
      await waitFor(
        'checkpoint',
        async () =>
          (await getLease(env.dynamodb, table, recorder.seen[0]!.shardId))!.checkpoint ===
          recorder.seen.at(-1)!.sequenceNumber,
      )
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })

  it('with manual checkpoints writes only what the app asks, never past the last record delivered', async () => {
    const { stream, table } = await leasedStream(env, 'manual', 1)
    await put(env, stream, 'm', 6)
    const recorder = new Recorder()
    let refused: unknown
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-m',
      checkpointing: 'manual',
      async processRecords(records, ctx) {
        if (records.length < 6) throw new Error('want all six at once')
        await ctx.checkpoint(records[2])
        await ctx.checkpoint(records[1]) // backwards: ignored
        await ctx
          .checkpoint({ sequenceNumber: `${records[5]!.sequenceNumber}9`, subSequenceNumber: 0 })
          .catch((e: unknown) => (refused = e))
      },
    })
    try {
      await consumer.start()
      await waitFor('the batch', () => recorder.seen.length >= 6)
      const shardId = recorder.seen[0]!.shardId
      expect(refused).toBeInstanceOf(InvalidConfigError)
      await consumer.stop()
      const lease = (await getLease(env.dynamodb, table, shardId))!
      expect(lease.checkpoint).toBe(recorder.seen[2]!.sequenceNumber)
      expect(lease.leaseOwner).toBeUndefined()
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })

  it('two workers starting at once on a missing table both run and share the shards', async () => {
    const { stream, table } = await newStream(env, 'race', 4)
    const recorder = new Recorder()
    const a = testConsumer(env, stream, table, recorder, { workerId: 'worker-1' })
    const b = testConsumer(env, stream, table, recorder, { workerId: 'worker-2' })
    try {
      await Promise.all([a.consumer.start(), b.consumer.start()])
      // The table is there and empty: Sync creates the leases, the workers share them.
      await syncLeases(env, stream, table)
      await waitFor(
        'a fair share',
        () => a.consumer.leases().length === 2 && b.consumer.leases().length === 2,
      )
      const sent = await put(env, stream, 'x', 20)
      await waitFor('every record', () => recorder.distinct().size === sent.length)
      expect(new Set(recorder.seen.map((s) => s.worker))).toEqual(new Set(['worker-1', 'worker-2']))
    } finally {
      await Promise.all([a.consumer.stop(), b.consumer.stop()])
      a.clients.destroy()
      b.clients.destroy()
    }
  })

  it('skips a lease item it cannot read, with a warning, and warns (naming Sync) about an empty table', async () => {
    const { stream, table } = await newStream(env, 'bad', 1)
    const lines: { level: string; fields: Record<string, unknown>; msg: string | undefined }[] = []
    const recorder = new Recorder()
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-w',
      logger: captureLogger(lines),
      noLeasesWarningMs: 500,
    })
    try {
      await consumer.start()
      await waitFor('the empty-table warning', () =>
        lines.some((l) => l.level === 'warn' && /kine\/sync/i.test(l.msg ?? '')),
      )
      await env.dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: { leaseKey: { S: 'shardId-000000000999' }, leaseCounter: { S: 'not a number' } },
        }),
      )
      await syncLeases(env, stream, table)
      await waitFor('the good lease taken', () => consumer.leases().length === 1)
      await waitFor('the warning', () =>
        lines.some((l) => l.level === 'warn' && l.fields.leaseKey === 'shardId-000000000999'),
      )
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })

  it('refuses an AT_TIMESTAMP lease without a configured timestamp, with a clear error', async () => {
    const { stream, table } = await newStream(env, 'ts', 1)
    const sync = new (await import('@kine/sync')).Sync({
      streamName: stream,
      tableName: table,
      kinesis: env.kinesis,
      dynamodb: env.dynamodb,
      initialPosition: { timestamp: new Date() },
    })
    await sync.init()
    await sync.syncOnce()
    const recorder = new Recorder()
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-t',
    })
    const errors: unknown[] = []
    consumer.on('error', (e) => errors.push(e.error))
    try {
      await consumer.start()
      expect(consumer.leases()).toHaveLength(0)
      expect(String(errors[0])).toMatch(/AT_TIMESTAMP.*initialPosition/)
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })

  it('reports a handler over maxProcessTimeMs and, when asked, gives the lease up instead of waiting', async () => {
    const { stream, table } = await leasedStream(env, 'slow', 1)
    const sent = await put(env, stream, 's', 5)
    const recorder = new Recorder()
    let calls = 0
    const slowMetrics: unknown[] = []
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-s',
      leaseDurationMs: 2_000,
      maxProcessTimeMs: 200,
      onSlowHandler: 'release-lease',
      metrics: {
        record: (name, value, _unit, dimensions) =>
          void (name === 'SlowHandlers' && slowMetrics.push({ value, dimensions })),
      },
      async processRecords(_records, ctx) {
        if (calls++ === 0) {
          // Hangs until the worker gives the batch up.
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
          throw new Error('abandoned')
        }
      },
    })
    const slow: number[] = []
    const released: string[] = []
    consumer.on('slowHandler', (e) => slow.push(e.elapsedMs))
    consumer.on('leaseReleased', (e) => released.push(e.shardId))
    try {
      await consumer.start()
      await waitFor('every record', () => recorder.distinct().size === sent.length, 5 * F)
      expect(slow).toHaveLength(1)
      expect(slow[0]).toBeGreaterThanOrEqual(200)
      expect(slowMetrics).toEqual([
        { value: 1, dimensions: { StreamName: stream, ShardId: 'shardId-000000000000' } },
      ])
      expect(released).toHaveLength(1)
      // Nothing lost: the abandoned batch was delivered again after the lease came back.
      expect(recorder.distinct()).toEqual(new Set(sent))
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })

  it('carries on when a renewal applied but its response was lost (rule 1), with no lease lost', async () => {
    const { stream, table } = await leasedStream(env, 'lostreply', 1)
    const recorder = new Recorder()
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-l',
      leaseDurationMs: 1_500,
    })
    let dropped = 0
    // Test fault injection: the first two renewals reach DynamoDB and apply, then their replies are lost.
    clients.dynamodb.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args)
        const input = args.input as { UpdateExpression?: string }
        if (dropped < 2 && input.UpdateExpression === 'SET #leaseCounter = #leaseCounter + :one') {
          dropped++
          throw Object.assign(new Error('socket hang up (test fault)'), { code: 'ECONNRESET' })
        }
        return result
      },
      { step: 'initialize', name: 'loseReplies' },
    )
    const lost: string[] = []
    consumer.on('leaseLost', (e) => lost.push(e.reason))
    try {
      await consumer.start()
      await waitFor('two lost replies', () => dropped === 2, 5 * F)
      const sent = await put(env, stream, 'l', 10)
      await waitFor('every record', () => recorder.distinct().size === sent.length, 5 * F)
      await new Promise((r) => setTimeout(r, 1_500))
      expect(lost).toEqual([])
      expect(consumer.leases()).toHaveLength(1)
      expect((await getLease(env.dynamodb, table, recorder.seen[0]!.shardId))!.leaseOwner).toBe(
        'worker-l',
      )
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })

  it('start() rejects what retrying cannot fix (a missing stream, access denied) and retries what it can', async () => {
    const missing = testConsumer(
      env,
      uniqueName('nostream'),
      uniqueName('nostream-app'),
      new Recorder(),
      { workerId: 'worker-n' },
    )
    await expect(missing.consumer.start()).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' })
    missing.clients.destroy()

    const stream = uniqueName('denied')
    await createStream(env.kinesis, stream, 1)
    const denied = testConsumer(env, stream, uniqueName('denied-app'), new Recorder(), {
      workerId: 'worker-d',
    })
    // Test fault injection: DynamoDB refuses these credentials.
    denied.clients.dynamodb.middlewareStack.add(
      () => () =>
        Promise.reject(
          Object.assign(new Error('not authorized (test fault)'), {
            name: 'AccessDeniedException',
            $metadata: { httpStatusCode: 400 },
          }),
        ),
      { step: 'initialize', name: 'deny' },
    )
    await expect(denied.consumer.start()).rejects.toMatchObject({ code: 'ACCESS_DENIED' })
    denied.clients.destroy()

    const table = uniqueName('flaky-app')
    await syncLeases(env, stream, table)
    const flaky = testConsumer(env, stream, table, new Recorder(), { workerId: 'worker-f' })
    let failures = 0
    // Test fault injection: the first three DynamoDB calls meet a 503.
    flaky.clients.dynamodb.middlewareStack.add(
      (next) => (args) =>
        failures++ < 3
          ? Promise.reject(
              Object.assign(new Error('unavailable (test fault)'), {
                name: 'ServiceUnavailable',
                $metadata: { httpStatusCode: 503 },
              }),
            )
          : next(args),
      { step: 'initialize', name: 'flaky' },
    )
    try {
      await flaky.consumer.start()
      expect(flaky.consumer.leases()).toHaveLength(1)
    } finally {
      await flaky.consumer.stop()
      flaky.clients.destroy()
    }
  })

  it("after repeated failures applies the app's policy: release-lease retries elsewhere later, stop stops", async () => {
    const stream = uniqueName('policy')
    await createStream(env.kinesis, stream, 1)
    const sent = await put(env, stream, 'p', 5)

    const releaseTable = uniqueName('policy-release')
    await syncLeases(env, stream, releaseTable)
    const recorder = new Recorder()
    let calls = 0
    const releasing = testConsumer(env, stream, releaseTable, recorder, {
      workerId: 'worker-p1',
      leaseDurationMs: 1_000,
      handlerRetries: 1,
      onHandlerFailure: 'release-lease',
      processRecords() {
        if (calls++ < 2) throw new Error('not yet')
      },
    })
    const released: string[] = []
    releasing.consumer.on('leaseReleased', (e) => released.push(e.shardId))
    try {
      await releasing.consumer.start()
      await waitFor('every record', () => recorder.distinct().size === sent.length, 5 * F)
      expect(released).toHaveLength(1)
      expect(calls).toBe(3)
    } finally {
      await releasing.consumer.stop()
      releasing.clients.destroy()
    }

    const stopTable = uniqueName('policy-stop')
    await syncLeases(env, stream, stopTable)
    const stopping = testConsumer(env, stream, stopTable, new Recorder(), {
      workerId: 'worker-p2',
      handlerRetries: 1,
      onHandlerFailure: 'stop',
      processRecords() {
        throw new Error('never')
      },
    })
    try {
      await stopping.consumer.start()
      await waitFor(
        'stopped',
        async () =>
          stopping.consumer.leases().length === 0 &&
          (await readLeases(env.dynamodb, stopTable)).leases.values().next().value?.leaseOwner ===
            undefined,
      )
      // Stopped for good: a new start is refused.
      await expect(stopping.consumer.start()).rejects.toThrow()
    } finally {
      await stopping.consumer.stop()
      stopping.clients.destroy()
    }
  })

  it('stops when its AbortSignal aborts, releasing its leases', async () => {
    const { stream, table } = await leasedStream(env, 'abort', 2)
    const controller = new AbortController()
    const { consumer, clients } = testConsumer(env, stream, table, new Recorder(), {
      workerId: 'worker-x',
      signal: controller.signal,
    })
    const released: string[] = []
    consumer.on('leaseReleased', (e) => released.push(e.shardId))
    try {
      await consumer.start()
      expect(consumer.leases()).toHaveLength(2)
      controller.abort()
      await waitFor('released', () => released.length === 2)
      await consumer.stop()
      for (const lease of (await readLeases(env.dynamodb, table)).leases.values())
        expect(lease.leaseOwner).toBeUndefined()
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })

  it('a lease taken away aborts the shard at once, and the old owner never checkpoints it again', async () => {
    const { stream, table } = await leasedStream(env, 'stolen', 1)
    const recorder = new Recorder()
    let inHandler = false
    let sawAbort = false
    let lateCheckpoint: Promise<unknown> | undefined
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-o',
      async processRecords(_records, ctx) {
        inHandler = true
        await new Promise((resolve) => {
          ctx.signal.addEventListener('abort', resolve)
          setTimeout(resolve, 5_000)
        })
        sawAbort = ctx.signal.aborted
        // A handler that ignores the abort and asks for a checkpoint anyway: it must be refused.
        lateCheckpoint = ctx.checkpoint().then(
          () => 'written',
          (error: unknown) => error,
        )
        await lateCheckpoint
      },
    })
    const lost: { reason: string; newOwner?: string }[] = []
    consumer.on('leaseLost', (e) => lost.push(e))
    try {
      await consumer.start()
      await put(env, stream, 'o', 3)
      await waitFor('the handler running', () => inHandler)
      // Another worker takes the lease (as after an expiry) and checkpoints it.
      const shardId = consumer.leases()[0]!.shardId
      const seen = (await getLease(env.dynamodb, table, shardId))!
      await env.dynamodb.send(
        new UpdateItemCommand(
          takeLeaseInput(table, {
            leaseKey: shardId,
            owner: 'thief',
            seenCounter: seen.leaseCounter,
            seenOwner: 'worker-o',
          }),
        ),
      )
      await env.dynamodb.send(
        new UpdateItemCommand(
          checkpointLeaseInput(table, {
            leaseKey: shardId,
            owner: 'thief',
            counter: seen.leaseCounter + 1,
            checkpoint: '1',
          }),
        ),
      )
      await waitFor('the loss noticed', () => lost.length === 1, 3 * F)
      expect(lost[0]).toMatchObject({ reason: 'taken', newOwner: 'thief' })
      await waitFor('the handler returned', () => sawAbort, 3 * F)
      expect(await lateCheckpoint).toMatchObject({ code: 'LEASE_LOST' })
      expect(await getLease(env.dynamodb, table, shardId)).toMatchObject({
        leaseOwner: 'thief',
        checkpoint: '1',
      })
      expect(consumer.leases()).toEqual([])
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })

  it('rejects bad options with one error listing every problem, and a second start', async () => {
    let error: unknown
    try {
      new Consumer({
        streamName: '',
        tableName: 't',
        kinesis: {} as never,
        dynamodb: env.dynamodb,
        processRecords: 'no' as never,
        leaseDurationMs: -1,
        onHandlerFailure: 'skip' as never,
      })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InvalidConfigError)
    expect((error as InvalidConfigError).problems).toHaveLength(5)
    const { stream, table } = await newStream(env, 'twice', 1)
    const { consumer, clients } = testConsumer(env, stream, table, new Recorder(), {
      workerId: 'worker-z',
    })
    await consumer.start()
    await consumer.stop()
    await expect(consumer.start()).rejects.toThrow(/only once/)
    await expect(consumer.start()).rejects.toBeInstanceOf(InvalidConfigError)
    clients.destroy()
  })
})
