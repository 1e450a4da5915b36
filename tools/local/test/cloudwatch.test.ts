import {
  GetMetricStatisticsCommand,
  PutMetricDataCommand,
  type CloudWatchClient,
  type CloudWatchClientConfig,
  type MetricDatum,
} from '@aws-sdk/client-cloudwatch'
import { Decoder, Encoder } from 'cbor-x'
import { createRequire } from 'node:module'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { cloudWatchClient, startCloudWatch, type CloudWatchReceiver } from '../src/index.js'

// The pinned client speaks AWS JSON 1.0. The other two protocols the receiver reads are produced by
// the same client with its protocol swapped for the implementations it ships with (loaded from the
// client's own dependency, so they match its version).
const requireFromClient = createRequire(
  createRequire(import.meta.url).resolve('@aws-sdk/client-cloudwatch'),
)
type Protocol = NonNullable<CloudWatchClientConfig['protocol']>
const protocols = requireFromClient('@aws-sdk/core/protocols') as {
  AwsSmithyRpcV2CborProtocol: Protocol
  AwsQueryProtocol: Protocol
}

const cbor = {
  encoder: new Encoder({ useRecords: false, mapsAsObjects: true }),
  decoder: new Decoder({ useRecords: false, mapsAsObjects: true }),
}

let receiver: CloudWatchReceiver
const clients: CloudWatchClient[] = []

function client(
  config: CloudWatchClientConfig = {},
  disableRequestCompression = false,
): CloudWatchClient {
  const c = cloudWatchClient(receiver.endpoint, { disableRequestCompression, config })
  clients.push(c)
  return c
}

const sample: MetricDatum[] = [
  {
    MetricName: 'MillisBehindLatest',
    Dimensions: [
      { Name: 'StreamName', Value: 'orders' },
      { Name: 'ShardId', Value: 'shardId-000000000001' },
    ],
    Unit: 'Milliseconds',
    Value: 1200,
    Timestamp: new Date('2026-05-01T10:00:00.250Z'),
    StorageResolution: 1,
  },
  {
    MetricName: 'ProcessingTime',
    Unit: 'Milliseconds',
    Values: [5, 12.5],
    Counts: [3, 1],
    Dimensions: [{ Name: 'StreamName', Value: 'orders' }],
  },
  {
    MetricName: 'RecordsProcessed',
    Unit: 'Count',
    StatisticValues: { SampleCount: 4, Sum: 40, Minimum: 5, Maximum: 15 },
  },
]

const expected = [
  {
    Namespace: 'Kine/Test',
    MetricName: 'MillisBehindLatest',
    Dimensions: [
      { Name: 'StreamName', Value: 'orders' },
      { Name: 'ShardId', Value: 'shardId-000000000001' },
    ],
    Unit: 'Milliseconds',
    Value: 1200,
    Timestamp: new Date('2026-05-01T10:00:00.250Z'),
    StorageResolution: 1,
  },
  {
    Namespace: 'Kine/Test',
    MetricName: 'ProcessingTime',
    Unit: 'Milliseconds',
    Values: [5, 12.5],
    Counts: [3, 1],
    Dimensions: [{ Name: 'StreamName', Value: 'orders' }],
  },
  {
    Namespace: 'Kine/Test',
    MetricName: 'RecordsProcessed',
    Unit: 'Count',
    Dimensions: [],
    StatisticValues: { SampleCount: 4, Sum: 40, Minimum: 5, Maximum: 15 },
  },
]

function manyData(count: number): MetricDatum[] {
  return Array.from({ length: count }, (_, i) => ({
    MetricName: `Metric${i}`,
    Dimensions: [{ Name: 'StreamName', Value: 'a-stream-with-a-longish-name' }],
    Unit: 'Count',
    Value: i,
  }))
}

beforeAll(async () => {
  receiver = await startCloudWatch()
})
afterAll(async () => {
  for (const c of clients) c.destroy()
  await receiver.stop()
})
beforeEach(() => receiver.clear())

describe('PutMetricData from the real SDK client (AWS JSON 1.0)', () => {
  it('decodes a small uncompressed request into the normalised shape', async () => {
    const out = await client().send(
      new PutMetricDataCommand({ Namespace: 'Kine/Test', MetricData: sample }),
    )
    expect(out.$metadata.httpStatusCode).toBe(200)
    expect(receiver.requests).toHaveLength(1)
    expect(receiver.requests[0]).toMatchObject({
      Namespace: 'Kine/Test',
      protocol: 'json',
      compressed: false,
    })
    expect(receiver.metricData()).toEqual(expected)
  })

  it('inflates a gzip body (the SDK compresses 10 KiB or more)', async () => {
    await client().send(
      new PutMetricDataCommand({ Namespace: 'Kine/Test', MetricData: manyData(400) }),
    )
    expect(receiver.requests[0]).toMatchObject({ protocol: 'json', compressed: true })
    const data = receiver.metricData()
    expect(data).toHaveLength(400)
    expect(data[399]).toMatchObject({ MetricName: 'Metric399', Value: 399, Unit: 'Count' })
  })

  it('takes the same large body uncompressed when compression is disabled', async () => {
    await client({}, true).send(
      new PutMetricDataCommand({ Namespace: 'Kine/Test', MetricData: manyData(400) }),
    )
    expect(receiver.requests[0]).toMatchObject({ protocol: 'json', compressed: false })
    expect(receiver.metricData()).toHaveLength(400)
  })

  it('keeps requests in arrival order and flattens their data', async () => {
    const c = client()
    await c.send(
      new PutMetricDataCommand({
        Namespace: 'Kine/A',
        MetricData: [{ MetricName: 'First', Value: 1 }],
      }),
    )
    await c.send(
      new PutMetricDataCommand({
        Namespace: 'Kine/B',
        MetricData: [
          { MetricName: 'Second', Value: 2 },
          { MetricName: 'Third', Value: 3 },
        ],
      }),
    )
    expect(receiver.requests.map((r) => r.Namespace)).toEqual(['Kine/A', 'Kine/B'])
    expect(receiver.metricData().map((d) => [d.Namespace, d.MetricName])).toEqual([
      ['Kine/A', 'First'],
      ['Kine/B', 'Second'],
      ['Kine/B', 'Third'],
    ])
  })

  it('refuses what CloudWatch refuses, and the SDK reports the error without retrying', async () => {
    const error = await client()
      .send(
        new PutMetricDataCommand({
          Namespace: 'Kine/Test',
          MetricData: [{ MetricName: 'X', Value: 1, Unit: 'Furlongs' as 'Count' }],
        }),
      )
      .catch(
        (e: unknown) =>
          e as { name: string; $metadata: { httpStatusCode: number; attempts: number } },
      )
    expect(error).toMatchObject({
      name: 'InvalidParameterValueException',
      $metadata: { httpStatusCode: 400, attempts: 1 },
    })
    expect(receiver.requests).toHaveLength(0)
    expect(receiver.rejected).toMatchObject([
      { operation: 'PutMetricData', code: 'InvalidParameterValue', injected: false },
    ])

    const tooMany = await client()
      .send(
        new PutMetricDataCommand({
          Namespace: 'Kine/Test',
          MetricData: [{ MetricName: 'X', Values: Array.from({ length: 151 }, (_, i) => i) }],
        }),
      )
      .then(() => ({ name: 'accepted' }))
      .catch((e: unknown) => e as { name: string })
    expect(tooMany.name).toBe('InvalidParameterValueException')
  })
})

describe('other protocols', () => {
  it('decodes a Smithy RPC v2 CBOR request encoded by hand and answers in CBOR', async () => {
    const body = cbor.encoder.encode({
      Namespace: 'Kine/Test',
      MetricData: [
        {
          MetricName: 'LeasesHeld',
          Dimensions: [{ Name: 'WorkerId', Value: 'w-1' }],
          Unit: 'Count',
          Value: 3,
          Timestamp: new Date('2026-05-01T10:00:00Z'),
        },
        { MetricName: 'CheckpointTime', Values: [1.5, 2], Counts: [1, 4] },
      ],
    })
    const res = await fetch(
      `${receiver.endpoint}/service/GraniteServiceVersion20100801/operation/PutMetricData`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/cbor',
          accept: 'application/cbor',
          'smithy-protocol': 'rpc-v2-cbor',
        },
        body,
      },
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('smithy-protocol')).toBe('rpc-v2-cbor')
    expect(cbor.decoder.decode(new Uint8Array(await res.arrayBuffer()))).toEqual({})
    expect(receiver.requests[0]).toMatchObject({ protocol: 'cbor', compressed: false })
    expect(receiver.metricData()).toEqual([
      {
        Namespace: 'Kine/Test',
        MetricName: 'LeasesHeld',
        Dimensions: [{ Name: 'WorkerId', Value: 'w-1' }],
        Unit: 'Count',
        Value: 3,
        Timestamp: new Date('2026-05-01T10:00:00Z'),
      },
      {
        Namespace: 'Kine/Test',
        MetricName: 'CheckpointTime',
        Dimensions: [],
        Values: [1.5, 2],
        Counts: [1, 4],
      },
    ])
  })

  it.each([
    ['cbor', protocols.AwsSmithyRpcV2CborProtocol],
    ['query', protocols.AwsQueryProtocol],
  ] as const)(
    'decodes the SDK client switched to %s into the same shape',
    async (name, protocol) => {
      const out = await client({ protocol }).send(
        new PutMetricDataCommand({ Namespace: 'Kine/Test', MetricData: sample }),
      )
      expect(out.$metadata.httpStatusCode).toBe(200)
      expect(receiver.requests[0]?.protocol).toBe(name)
      expect(receiver.metricData()).toEqual(expected)
    },
  )

  it('answers an operation it does not implement with a 400 error', async () => {
    const res = await fetch(receiver.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'GraniteServiceVersion20100801.DeleteDashboards',
      },
      body: '{}',
    })
    expect(res.status).toBe(400)
    expect(res.headers.get('x-amzn-query-error')).toBe('InvalidAction;Sender')
  })
})

describe('GetMetricStatistics', () => {
  const input = {
    Namespace: 'Kine/Test',
    MetricName: 'RecordsProcessed',
    Dimensions: [{ Name: 'StreamName', Value: 'orders' }],
    StartTime: new Date('2026-05-01T10:00:00Z'),
    EndTime: new Date('2026-05-01T11:00:00Z'),
    Period: 60,
    Statistics: ['Sum' as const, 'SampleCount' as const],
  }

  it('answers no datapoints until told otherwise', async () => {
    const out = await client().send(new GetMetricStatisticsCommand(input))
    expect(out.Datapoints).toEqual([])
    expect(out.Label).toBe('RecordsProcessed')
  })

  it.each([
    ['json', undefined],
    ['cbor', protocols.AwsSmithyRpcV2CborProtocol],
    ['query', protocols.AwsQueryProtocol],
  ] as const)('answers what setStatistics set (%s)', async (name, protocol) => {
    receiver.setStatistics((request) =>
      request.MetricName === 'RecordsProcessed'
        ? [
            { Timestamp: new Date('2026-05-01T10:01:00Z'), Sum: 42, SampleCount: 3, Unit: 'Count' },
            { Timestamp: new Date('2026-05-01T10:02:00Z'), Sum: 7, SampleCount: 1, Unit: 'Count' },
          ]
        : [],
    )
    const out = await client(protocol === undefined ? {} : { protocol }).send(
      new GetMetricStatisticsCommand(input),
    )
    expect(out.Datapoints).toEqual([
      { Timestamp: new Date('2026-05-01T10:01:00Z'), Sum: 42, SampleCount: 3, Unit: 'Count' },
      { Timestamp: new Date('2026-05-01T10:02:00Z'), Sum: 7, SampleCount: 1, Unit: 'Count' },
    ])
    expect(receiver.statisticsRequests).toEqual([
      { ...input, ExtendedStatistics: [], protocol: name },
    ])
  })
})

describe('fault injection', () => {
  it('fails the next requests so the SDK retries, then accepts', async () => {
    receiver.failNext(2)
    const out = await client().send(
      new PutMetricDataCommand({
        Namespace: 'Kine/Test',
        MetricData: [{ MetricName: 'X', Value: 1 }],
      }),
    )
    expect(out.$metadata.attempts).toBe(3)
    expect(receiver.requests).toHaveLength(1)
    expect(receiver.rejected.map((r) => [r.status, r.code, r.injected])).toEqual([
      [500, 'InternalServiceError', true],
      [500, 'InternalServiceError', true],
    ])
  })

  it('surfaces the error once the SDK runs out of attempts, with the status given', async () => {
    receiver.failNext(5, 503)
    const error = await client({ maxAttempts: 2 })
      .send(
        new PutMetricDataCommand({
          Namespace: 'Kine/Test',
          MetricData: [{ MetricName: 'X', Value: 1 }],
        }),
      )
      .catch(
        (e: unknown) =>
          e as { name: string; $metadata: { httpStatusCode: number; attempts: number } },
      )
    expect(error).toMatchObject({
      name: 'ServiceUnavailable',
      $metadata: { httpStatusCode: 503, attempts: 2 },
    })
    expect(receiver.requests).toHaveLength(0)
    // Three injected failures are still pending; clear() drops them.
    receiver.clear()
    await client().send(
      new PutMetricDataCommand({
        Namespace: 'Kine/Test',
        MetricData: [{ MetricName: 'X', Value: 1 }],
      }),
    )
    expect(receiver.requests).toHaveLength(1)
  })
})

describe('waitFor', () => {
  it('resolves when data that satisfy the condition arrive', async () => {
    const waiting = receiver.waitFor((data) => data.some((d) => d.MetricName === 'Late'))
    await client().send(
      new PutMetricDataCommand({
        Namespace: 'Kine/Test',
        MetricData: [{ MetricName: 'Early', Value: 1 }],
      }),
    )
    await client().send(
      new PutMetricDataCommand({
        Namespace: 'Kine/Test',
        MetricData: [{ MetricName: 'Late', Value: 2 }],
      }),
    )
    await expect(waiting).resolves.toBeUndefined()
  })

  it('rejects when they do not arrive in time', async () => {
    await expect(receiver.waitFor((data) => data.length > 0, { timeoutMs: 100 })).rejects.toThrow(
      /not met within 100 ms/,
    )
  })
})

describe('stop', () => {
  it('closes the port and can be called twice', async () => {
    const other = await startCloudWatch()
    await other.stop()
    await other.stop()
    await expect(fetch(other.endpoint, { method: 'POST' })).rejects.toThrow()
  })
})
