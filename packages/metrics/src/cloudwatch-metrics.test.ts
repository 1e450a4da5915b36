import type {
  CloudWatchClient,
  PutMetricDataCommand,
  PutMetricDataInput,
} from '@aws-sdk/client-cloudwatch'
import { InvalidConfigError, ManualClock, type Logger } from '@kine/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CloudWatchMetrics, type CloudWatchMetricsOptions } from './cloudwatch-metrics.js'

// These unit tests fake the CloudWatch client (only `send`) to force faults and hangs at will;
// test/cloudwatch.test.ts runs the sink against the local receiver through the real SDK client.

const shard = { StreamName: 'orders', ShardId: 'shardId-000000000001', WorkerId: 'w1' }

type Reply = 'ok' | 'hang' | Error

function fakeClient(replies: Reply[] = []) {
  const inputs: PutMetricDataInput[] = []
  const send = vi.fn((command: PutMetricDataCommand): Promise<unknown> => {
    inputs.push(command.input)
    const reply = replies.shift() ?? 'ok'
    if (reply === 'hang') return new Promise(() => {})
    return reply === 'ok' ? Promise.resolve({}) : Promise.reject(reply)
  })
  const destroy = vi.fn()
  return { client: { send, destroy } as unknown as CloudWatchClient, send, destroy, inputs }
}

function awsError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} from the fake client`), {
    name,
    $metadata: { httpStatusCode: status },
  })
}

function spyLogger() {
  const warn = vi.fn()
  const noop = (): void => {}
  const logger: Logger = {
    trace: noop,
    debug: noop,
    info: noop,
    warn,
    error: noop,
    child: () => logger,
  }
  return { logger, warn }
}

function sink(client: CloudWatchClient, options: Partial<CloudWatchMetricsOptions> = {}) {
  const clock = new ManualClock()
  const metrics = new CloudWatchMetrics({
    cloudwatch: client,
    namespace: 'Orders',
    clock,
    ...options,
  })
  return { metrics, clock }
}

describe('CloudWatchMetrics', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('sends once per flush interval, aggregated, and not before', async () => {
    const fake = fakeClient()
    const { metrics, clock } = sink(fake.client, {
      level: 'detailed',
      dimensions: { App: 'billing' },
    })
    for (const n of [10, 10, 4]) metrics.record('RecordsProcessed', n, 'Count', shard)
    metrics.record('ProcessingTime', 12.5, 'Milliseconds', shard)
    await clock.advance(59_999)
    expect(fake.send).not.toHaveBeenCalled()
    await clock.advance(1)
    expect(fake.send).toHaveBeenCalledTimes(1)
    const input = fake.inputs[0]!
    expect(input.Namespace).toBe('Orders')
    expect(input.MetricData).toEqual([
      {
        MetricName: 'RecordsProcessed',
        Dimensions: [
          { Name: 'App', Value: 'billing' },
          { Name: 'StreamName', Value: 'orders' },
          { Name: 'ShardId', Value: 'shardId-000000000001' },
        ],
        Timestamp: new Date(clock.wallNow() - 60_000),
        Unit: 'Count',
        Values: [10, 4],
        Counts: [2, 1],
      },
      expect.objectContaining({
        MetricName: 'ProcessingTime',
        Unit: 'Milliseconds',
        Values: [12.5],
        Counts: [1],
      }),
    ])
    expect(metrics.stats()).toMatchObject({
      recorded: 4,
      sent: 4,
      dropped: 0,
      buffered: 0,
      requests: 1,
    })

    await clock.advance(60_000) // nothing recorded: no empty request
    expect(fake.send).toHaveBeenCalledTimes(1)
    await metrics.close()
  })

  it('records synchronously while a send hangs, buffering what it cannot send yet', async () => {
    const fake = fakeClient(['hang'])
    const { metrics, clock } = sink(fake.client)
    metrics.record('Checkpoints', 1, 'Count', shard)
    await clock.advance(60_000)
    expect(fake.send).toHaveBeenCalledTimes(1)
    for (let i = 0; i < 1000; i++) {
      expect(metrics.record('Checkpoints', 1, 'Count', shard)).toBeUndefined()
    }
    expect(metrics.stats()).toMatchObject({ recorded: 1001, sent: 0, buffered: 1001, dropped: 0 })
  })

  it('retries failed sends with growing waits, then drops the data, counts them and warns once', async () => {
    const failure = awsError('InternalServiceError', 500)
    const fake = fakeClient([failure, failure, failure, failure])
    const { logger, warn } = spyLogger()
    const { metrics, clock } = sink(fake.client, { maxRetries: 2, retryBaseDelayMs: 1000, logger })
    metrics.record('Checkpoints', 1, 'Count', shard)
    metrics.record('Checkpoints', 1, 'Count', shard)
    await clock.advance(60_000)
    expect(fake.send).toHaveBeenCalledTimes(1)
    await clock.advance(999) // the first wait is jittered within [500, 1000] ms
    await clock.advance(1)
    expect(fake.send).toHaveBeenCalledTimes(2)
    await clock.advance(2000) // the second within [1000, 2000] ms
    expect(fake.send).toHaveBeenCalledTimes(3)
    await clock.advance(60_000)
    expect(fake.send).toHaveBeenCalledTimes(3) // retries exhausted: no fourth attempt
    expect(metrics.stats()).toMatchObject({
      recorded: 2,
      sent: 0,
      dropped: 2,
      buffered: 0,
      failures: 3,
    })
    expect(warn).toHaveBeenCalledTimes(1)
    const [fields, message] = warn.mock.calls[0] as [Record<string, unknown>, string]
    expect(message).toMatch(/dropped/)
    expect(fields).toMatchObject({ attempts: 3, values: 2, data: 1 })
    expect((fields.err as { cause?: unknown }).cause).toBe(failure)
  })

  it("retries CloudWatch's Throttling error and delivers once the service recovers", async () => {
    const fake = fakeClient([awsError('Throttling', 400), 'ok'])
    const { metrics, clock } = sink(fake.client, { retryBaseDelayMs: 10 })
    metrics.record('Checkpoints', 3, 'Count', shard)
    await clock.advance(60_000)
    await clock.advance(10)
    expect(fake.send).toHaveBeenCalledTimes(2)
    expect(fake.inputs[1]).toEqual(fake.inputs[0])
    expect(metrics.stats()).toMatchObject({ sent: 1, dropped: 0, failures: 1, requests: 1 })
  })

  it('drops at once on an error that a retry cannot fix', async () => {
    const fake = fakeClient([awsError('InvalidParameterValue', 400)])
    const { metrics, clock } = sink(fake.client)
    metrics.record('Checkpoints', 1, 'Count', shard)
    await clock.advance(60_000)
    await clock.advance(60_000)
    expect(fake.send).toHaveBeenCalledTimes(1)
    expect(metrics.stats()).toMatchObject({ dropped: 1, failures: 1 })
  })

  it('survives a client whose send throws synchronously', async () => {
    const send = vi.fn(() => {
      throw new TypeError('not a client after all')
    })
    const { metrics, clock } = sink({ send } as unknown as CloudWatchClient)
    metrics.record('Checkpoints', 1, 'Count', shard)
    await clock.advance(60_000)
    expect(metrics.stats()).toMatchObject({ dropped: 1, sent: 0 })
  })

  it('bounds its buffer while sends fail: the oldest data go first, counted', async () => {
    const fake = fakeClient(['hang'])
    const { logger, warn } = spyLogger()
    const { metrics, clock } = sink(fake.client, { maxBufferedData: 5, level: 'detailed', logger })
    metrics.record('Checkpoints', 1, 'Count', shard)
    await clock.advance(60_000) // that datum is now in a hung request, outside the buffer
    for (let i = 0; i < 8; i++)
      metrics.record('Checkpoints', 1, 'Count', { ...shard, ShardId: `s${i}` })
    expect(metrics.stats()).toMatchObject({ recorded: 9, dropped: 3, buffered: 6 })
    await clock.advance(60_000)
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ dropped: 3 }),
      expect.stringMatching(/full/),
    )
  })

  it('flush() sends at once and resolves after the send', async () => {
    const fake = fakeClient()
    const { metrics } = sink(fake.client)
    metrics.record('LeasesTaken', 2, 'Count', shard)
    await metrics.flush()
    expect(fake.send).toHaveBeenCalledTimes(1)
    expect(metrics.stats()).toMatchObject({ sent: 1, buffered: 0 })
    await metrics.flush() // nothing buffered: no request
    expect(fake.send).toHaveBeenCalledTimes(1)
  })

  it('close() sends what is buffered, stops the timer, leaves the client open and drops later values', async () => {
    const fake = fakeClient()
    const { metrics, clock } = sink(fake.client)
    metrics.record('LeasesLost', 1, 'Count', shard)
    expect(clock.pending).toBe(1)
    await metrics.close()
    expect(fake.send).toHaveBeenCalledTimes(1)
    expect(clock.pending).toBe(0)
    expect(fake.destroy).not.toHaveBeenCalled()
    metrics.record('LeasesLost', 1, 'Count', shard)
    await clock.advance(120_000)
    expect(fake.send).toHaveBeenCalledTimes(1)
    expect(metrics.stats()).toMatchObject({ recorded: 2, sent: 1, dropped: 1 })
    await metrics.close() // idempotent
  })

  it("by default runs its timer unref'd, so it never keeps the process alive", async () => {
    // Unref'd timers are not listed among the active resources that hold the process open.
    const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timeouts()
    const fake = fakeClient()
    const metrics = new CloudWatchMetrics({ cloudwatch: fake.client, namespace: 'Orders' })
    metrics.record('LeasesLost', 1, 'Count', shard)
    expect(timeouts()).toBe(before)
    await metrics.close()
  })

  it('leaves no timer behind after close() on the real clock', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const fake = fakeClient()
    const metrics = new CloudWatchMetrics({ cloudwatch: fake.client, namespace: 'Orders' })
    metrics.record('LeasesLost', 1, 'Count', shard)
    expect(vi.getTimerCount()).toBe(1)
    await metrics.close()
    expect(vi.getTimerCount()).toBe(0)
    expect(fake.send).toHaveBeenCalledTimes(1)
  })

  it('closes when its signal aborts, sending what is buffered', async () => {
    const fake = fakeClient()
    const controller = new AbortController()
    const { metrics, clock } = sink(fake.client, { signal: controller.signal })
    metrics.record('LeasesHeld', 3, 'Count', shard)
    controller.abort()
    await clock.advance(0)
    expect(fake.send).toHaveBeenCalledTimes(1)
    expect(clock.pending).toBe(0)
    metrics.record('LeasesHeld', 3, 'Count', shard)
    expect(metrics.stats().dropped).toBe(1)
  })

  it('lists every problem with its options in one InvalidConfigError', () => {
    const bad = {
      cloudwatch: {},
      namespace: 'AWS/Kinesis',
      level: 'verbose',
      flushIntervalMs: 0,
      maxRetries: -1,
      dimensions: { StreamName: 'x', App: '' },
    } as unknown as CloudWatchMetricsOptions
    let error: unknown
    try {
      new CloudWatchMetrics(bad)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InvalidConfigError)
    const problems = (error as InvalidConfigError).problems.join('\n')
    for (const key of [
      'cloudwatch',
      'namespace',
      'level',
      'flushIntervalMs',
      'maxRetries',
      'dimensions.StreamName',
      'dimensions.App',
    ])
      expect(problems).toContain(key)
  })

  it('refuses more default dimensions than CloudWatch allows beside its own', () => {
    const dimensions = Object.fromEntries(Array.from({ length: 28 }, (_, i) => [`D${i}`, 'v']))
    expect(() => sink(fakeClient().client, { dimensions })).toThrow(/dimensions: at most 27/)
    expect(() =>
      sink(fakeClient().client, {
        dimensions: Object.fromEntries(Object.entries(dimensions).slice(1)),
      }),
    ).not.toThrow()
  })
})
