// The sinks against the local CloudWatch receiver (tools/local) through the real SDK client:
// what a user would see arrive in CloudWatch, including splitting, gzip, failures and shutdown.
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch'
import { systemClock, type Clock, type Logger, type MetricDimensions } from '@kine/core'
import {
  cloudWatchClient,
  startCloudWatch,
  type CloudWatchReceiver,
  type ReceivedDatum,
} from '@kine-tools/local'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { CloudWatchMetrics, EmfMetrics } from '../src/index.js'

let receiver: CloudWatchReceiver
let client: CloudWatchClient
/** The SDK's own retries off, so the receiver's failNext(n) counts this sink's attempts exactly. */
let singleAttemptClient: CloudWatchClient

beforeAll(async () => {
  receiver = await startCloudWatch()
  client = cloudWatchClient(receiver.endpoint)
  singleAttemptClient = cloudWatchClient(receiver.endpoint, { config: { maxAttempts: 1 } })
})

afterAll(async () => {
  client?.destroy()
  singleAttemptClient?.destroy()
  await receiver?.stop()
})

beforeEach(() => {
  receiver.clear()
})

const stream = 'orders'
const shardDims = (i: number): MetricDimensions => ({
  StreamName: stream,
  ShardId: `shardId-${String(i).padStart(12, '0')}`,
  WorkerId: 'worker-1',
})

function dims(datum: ReceivedDatum): Record<string, string> {
  return Object.fromEntries(datum.Dimensions.map((d) => [d.Name, d.Value]))
}

/** Every value a datum stands for, expanded from Values/Counts. */
function expand(datum: ReceivedDatum): number[] {
  return (datum.Values ?? []).flatMap((v, i) => Array<number>(datum.Counts?.[i] ?? 1).fill(v))
}

describe('CloudWatchMetrics → local CloudWatch', () => {
  it('delivers what was recorded, aggregated per name, dimensions and unit', async () => {
    const metrics = new CloudWatchMetrics({
      cloudwatch: client,
      namespace: 'Kine/Test',
      level: 'detailed',
      dimensions: { App: 'billing' },
    })
    for (const n of [500, 500, 120]) metrics.record('RecordsProcessed', n, 'Count', shardDims(1))
    metrics.record('RecordsProcessed', 80, 'Count', shardDims(2))
    metrics.record('MillisBehindLatest', 1500, 'Milliseconds', shardDims(1))
    metrics.record('MillisBehindLatest', 0, 'Milliseconds', shardDims(1))
    metrics.record('LeasesHeld', 2, 'Count', shardDims(1))
    metrics.record('Sync.Created', 4, 'Count', shardDims(1))
    await metrics.close()

    expect(receiver.requests).toHaveLength(1)
    expect(receiver.requests[0]!.protocol).toBe('json')
    const data = receiver.metricData()
    expect(data.map((d) => [d.Namespace, d.MetricName, d.Unit, dims(d), expand(d)])).toEqual([
      [
        'Kine/Test',
        'RecordsProcessed',
        'Count',
        { App: 'billing', StreamName: stream, ShardId: 'shardId-000000000001' },
        [500, 500, 120],
      ],
      [
        'Kine/Test',
        'RecordsProcessed',
        'Count',
        { App: 'billing', StreamName: stream, ShardId: 'shardId-000000000002' },
        [80],
      ],
      [
        'Kine/Test',
        'MillisBehindLatest',
        'Milliseconds',
        { App: 'billing', StreamName: stream, ShardId: 'shardId-000000000001' },
        [1500, 0],
      ],
      [
        'Kine/Test',
        'LeasesHeld',
        'Count',
        { App: 'billing', StreamName: stream, WorkerId: 'worker-1' },
        [2],
      ],
      ['Kine/Test', 'Sync.Created', 'Count', { App: 'billing', StreamName: stream }, [4]],
    ])
    for (const d of data) expect(d.Timestamp).toBeInstanceOf(Date)
    expect(metrics.stats()).toMatchObject({
      recorded: 8,
      sent: 8,
      dropped: 0,
      buffered: 0,
      requests: 1,
    })
  })

  it('aggregates shards into one datum per stream at the summary level (the default)', async () => {
    const metrics = new CloudWatchMetrics({ cloudwatch: client, namespace: 'Kine/Test' })
    for (let i = 0; i < 50; i++) metrics.record('ProcessingTime', i, 'Milliseconds', shardDims(i))
    await metrics.close()
    const data = receiver.metricData()
    expect(data).toHaveLength(1)
    expect(dims(data[0]!)).toEqual({ StreamName: stream })
    expect(expand(data[0]!).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })

  it('sends a series of more than 150 distinct values as a statistic set', async () => {
    const metrics = new CloudWatchMetrics({ cloudwatch: client, namespace: 'Kine/Test' })
    for (let i = 1; i <= 1000; i++)
      metrics.record('CheckpointTime', i / 10, 'Milliseconds', shardDims(0))
    await metrics.close()
    const [datum] = receiver.metricData()
    expect(datum!.Values).toBeUndefined()
    expect(datum!.StatisticValues!.SampleCount).toBe(1000)
    expect(datum!.StatisticValues!.Sum).toBeCloseTo(50050, 6)
    expect(datum!.StatisticValues!.Minimum).toBe(0.1)
    expect(datum!.StatisticValues!.Maximum).toBe(100)
  })

  it('splits 2,500 distinct dimension sets into 3 requests of at most 1,000 data', async () => {
    const metrics = new CloudWatchMetrics({
      cloudwatch: client,
      namespace: 'Kine/Test',
      level: 'detailed',
    })
    for (let i = 0; i < 2500; i++) metrics.record('RecordsProcessed', i, 'Count', shardDims(i))
    await metrics.flush()
    expect(receiver.requests.map((r) => r.MetricData.length)).toEqual([1000, 1000, 500])
    const shards = new Set(receiver.metricData().map((d) => dims(d).ShardId))
    expect(shards.size).toBe(2500)
    expect(
      receiver.metricData().reduce((n, d) => n + expand(d).reduce((a, b) => a + b, 0), 0),
    ).toBe((2499 * 2500) / 2)
    expect(metrics.stats()).toMatchObject({ recorded: 2500, sent: 2500, requests: 3 })
    await metrics.close()
  })

  it('keeps large requests under 1 MB, gzipped by the SDK and decoded intact', async () => {
    // 600 shards × 150 distinct fractional values: about 2 MB of JSON, more than one request holds.
    const record = (metrics: CloudWatchMetrics): void => {
      for (let i = 0; i < 600; i++)
        for (let v = 0; v < 150; v++)
          metrics.record('ProcessingTime', v + i / 7, 'Milliseconds', shardDims(i))
    }
    const bodySizes: number[] = []
    const plain = cloudWatchClient(receiver.endpoint, { disableRequestCompression: true })
    try {
      plain.middlewareStack.add(
        (next) => async (args) => {
          const body = (args.request as { body?: unknown }).body
          if (typeof body === 'string') bodySizes.push(Buffer.byteLength(body))
          else if (body instanceof Uint8Array) bodySizes.push(body.byteLength)
          return next(args)
        },
        { step: 'finalizeRequest', name: 'measureBody' },
      )
      const uncompressed = new CloudWatchMetrics({
        cloudwatch: plain,
        namespace: 'Kine/Test',
        level: 'detailed',
      })
      record(uncompressed)
      await uncompressed.close()
    } finally {
      plain.destroy()
    }
    expect(bodySizes.length).toBeGreaterThanOrEqual(2)
    for (const size of bodySizes) expect(size).toBeLessThanOrEqual(1024 * 1024)
    expect(receiver.requests.every((r) => !r.compressed)).toBe(true)
    const uncompressedCount = receiver.requests.length

    receiver.clear()
    const gzipped = new CloudWatchMetrics({
      cloudwatch: client,
      namespace: 'Kine/Test',
      level: 'detailed',
    })
    record(gzipped)
    await gzipped.close()
    expect(receiver.requests).toHaveLength(uncompressedCount)
    expect(receiver.requests.every((r) => r.compressed)).toBe(true)
    const data = receiver.metricData()
    expect(data).toHaveLength(600)
    expect(data.every((d) => d.Values!.length === 150 && d.Counts!.every((c) => c === 1))).toBe(
      true,
    )
    expect(gzipped.stats()).toMatchObject({ recorded: 90_000, sent: 90_000, dropped: 0 })
  })

  it('retries while the receiver fails for a while, and recording never waits for it', async () => {
    const metrics = new CloudWatchMetrics({
      cloudwatch: singleAttemptClient,
      namespace: 'Kine/Test',
      maxRetries: 3,
      retryBaseDelayMs: 20,
    })
    receiver.failNext(2, 503)
    metrics.record('Checkpoints', 1, 'Count', shardDims(1))
    let settled = false
    const flushing = metrics.flush().then(() => {
      settled = true
    })
    // The send is under way (and failing); recording goes on regardless, synchronously.
    for (let i = 0; i < 10_000; i++) metrics.record('Checkpoints', 1, 'Count', shardDims(1))
    expect(settled).toBe(false)
    expect(metrics.stats()).toMatchObject({ recorded: 10_001, buffered: 10_001 })
    await flushing
    expect(receiver.rejected.filter((r) => r.injected)).toHaveLength(2)
    expect(expand(receiver.metricData()[0]!)).toEqual([1])
    expect(metrics.stats()).toMatchObject({ sent: 1, failures: 2, dropped: 0, buffered: 10_000 })
    await metrics.close()
    expect(metrics.stats()).toMatchObject({ sent: 10_001, buffered: 0 })
  })

  it('drops and counts what cannot be sent after its retries, bounded, and warns', async () => {
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
    const metrics = new CloudWatchMetrics({
      cloudwatch: singleAttemptClient,
      namespace: 'Kine/Test',
      level: 'detailed',
      maxRetries: 2,
      retryBaseDelayMs: 10,
      maxBufferedData: 100,
      logger,
    })
    receiver.failNext(1_000_000)
    for (let i = 0; i < 150; i++) metrics.record('RecordsProcessed', 1, 'Count', shardDims(i))
    expect(metrics.stats()).toMatchObject({ recorded: 150, dropped: 50, buffered: 100 })
    await metrics.flush()
    expect(receiver.rejected).toHaveLength(3) // one request, tried 1 + 2 times
    expect(metrics.stats()).toMatchObject({
      recorded: 150,
      sent: 0,
      dropped: 150,
      buffered: 0,
      failures: 3,
    })
    expect(warn.mock.calls.map((c) => c[1] as unknown)).toEqual([
      'metrics buffer full: oldest data dropped',
      'metrics dropped: PutMetricData failed',
    ])

    receiver.clear() // the service recovers
    metrics.record('RecordsProcessed', 1, 'Count', shardDims(0))
    await metrics.close()
    expect(receiver.metricData()).toHaveLength(1)
    expect(metrics.stats()).toMatchObject({ recorded: 151, sent: 1, dropped: 150 })
  })

  it('sends on its flush interval by itself, and close() leaves no timer running', async () => {
    let sleeping = 0
    const countingClock: Clock = {
      now: () => systemClock.now(),
      wallNow: () => systemClock.wallNow(),
      async sleep(ms, signal) {
        sleeping++
        try {
          await systemClock.sleep(ms, signal)
        } finally {
          sleeping--
        }
      },
    }
    const metrics = new CloudWatchMetrics({
      cloudwatch: client,
      namespace: 'Kine/Test',
      flushIntervalMs: 100,
      clock: countingClock,
    })
    metrics.record('LeasesTaken', 1, 'Count', shardDims(1))
    await receiver.waitFor((data) => data.length === 1)
    metrics.record('LeasesTaken', 1, 'Count', shardDims(1))
    await receiver.waitFor((data) => data.length === 2)
    expect(sleeping).toBe(1)
    await metrics.close()
    expect(sleeping).toBe(0)
    const before = receiver.requests.length
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(receiver.requests).toHaveLength(before)
  })

  it("reports mapbox/kine's ShardIteratorAgeInMs with DeliveryStream, ShardId and Stack", async () => {
    const metrics = new CloudWatchMetrics({
      cloudwatch: client,
      namespace: 'kine-legacy',
      level: 'none',
      mapboxKineStack: 'production',
    })
    metrics.record('ShardIteratorAgeInMs', 2500, 'Milliseconds', shardDims(3))
    metrics.record('RecordsProcessed', 10, 'Count', shardDims(3))
    await metrics.close()
    expect(
      receiver.metricData().map((d) => [d.Namespace, d.MetricName, d.Unit, dims(d), expand(d)]),
    ).toEqual([
      [
        'kine-legacy',
        'ShardIteratorAgeInMs',
        'Milliseconds',
        { DeliveryStream: stream, ShardId: 'shardId-000000000003', Stack: 'production' },
        [2500],
      ],
    ])
  })
})

describe('EmfMetrics', () => {
  it('writes lines whose values match what CloudWatchMetrics sends for the same recordings', async () => {
    const lines: string[] = []
    const emf = new EmfMetrics({
      namespace: 'Kine/Test',
      level: 'detailed',
      output: { write: (t: string) => lines.push(t) },
    })
    const cw = new CloudWatchMetrics({
      cloudwatch: client,
      namespace: 'Kine/Test',
      level: 'detailed',
    })
    for (const sink of [emf, cw]) {
      for (let i = 0; i < 3; i++) {
        for (let v = 0; v < 130; v++) sink.record('RecordsProcessed', v % 7, 'Count', shardDims(i))
        sink.record('MillisBehindLatest', 1000 * i, 'Milliseconds', shardDims(i))
      }
    }
    await Promise.all([emf.close(), cw.close()])

    const fromEmf = new Map<string, number[]>()
    for (const text of lines) {
      expect(text.endsWith('\n')).toBe(true)
      const line = JSON.parse(text) as Record<string, unknown> & {
        _aws: {
          Timestamp: number
          CloudWatchMetrics: {
            Namespace: string
            Dimensions: string[][]
            Metrics: { Name: string; Unit: string }[]
          }[]
        }
      }
      expect(typeof line._aws.Timestamp).toBe('number')
      const [directive] = line._aws.CloudWatchMetrics
      expect(directive!.Namespace).toBe('Kine/Test')
      const dimensionValues = directive!.Dimensions[0]!.map(
        (name) => `${name}=${String(line[name])}`,
      ).join(',')
      for (const metric of directive!.Metrics) {
        const value = line[metric.Name] as number | number[]
        const values = Array.isArray(value) ? value : [value]
        expect(values.length).toBeLessThanOrEqual(100)
        const key = `${metric.Name}:${metric.Unit}:${dimensionValues}`
        fromEmf.set(key, [...(fromEmf.get(key) ?? []), ...values])
      }
    }
    const fromCloudWatch = new Map<string, number[]>()
    for (const d of receiver.metricData()) {
      const dimensionValues = d.Dimensions.map((x) => `${x.Name}=${x.Value}`).join(',')
      fromCloudWatch.set(`${d.MetricName}:${d.Unit}:${dimensionValues}`, expand(d))
    }
    const sorted = (m: Map<string, number[]>) =>
      [...m]
        .map(([k, v]) => [k, [...v].sort((a, b) => a - b)] as const)
        .sort(([a], [b]) => a.localeCompare(b))
    expect(fromCloudWatch.size).toBe(6)
    expect(sorted(fromEmf)).toEqual(sorted(fromCloudWatch))
    expect(emf.stats()).toMatchObject({ recorded: 393, sent: 393 })
  })
})
