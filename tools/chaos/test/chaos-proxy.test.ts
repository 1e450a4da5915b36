// The proxy itself, against the emulators: every fault class reaches an SDK client the way the
// real service would show it, a rewritten DynamoDB body passes the SDK's CRC32 check, outages
// refuse, reset or hold connections and end cleanly.
import {
  CreateTableCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb'
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis'
import {
  createStream,
  dynamoClient,
  kinesisClient,
  putRecords,
  startDynamo,
  startKinesis,
  type LocalDynamo,
  type LocalKinesis,
} from '@kine-tools/local'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startChaosProxy, type ChaosProxy } from '../src/chaos-proxy.js'

const STREAM = 'chaos-proxy'
const TABLE = 'chaos-proxy'
let kinesisLocal: LocalKinesis
let dynamo: LocalDynamo
let kp: ChaosProxy
let dp: ChaosProxy
let kinesis: KinesisClient
let dynamodb: DynamoDBClient

const noRetry = { maxAttempts: 1 }

beforeAll(async () => {
  ;[kinesisLocal, dynamo] = await Promise.all([
    startKinesis({ engine: 'kinesalite' }),
    startDynamo({ engine: 'dynalite' }),
  ])
  kp = await startChaosProxy({ upstream: kinesisLocal.endpoint, seed: 1 })
  dp = await startChaosProxy({ upstream: dynamo.endpoint, seed: 1 })
  kinesis = kinesisClient(kp.endpoint, { config: noRetry })
  dynamodb = dynamoClient(dp.endpoint, { config: noRetry })
  await createStream(kinesis, STREAM, 1)
  await putRecords(kinesis, STREAM, [{ data: 'a', partitionKey: 'k' }])
  await dynamodb.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'k', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'k', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  )
  await dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: { k: { S: 'one' } } }))
})

afterEach(async () => {
  kp.clearRules()
  dp.clearRules()
  await kp.endOutage()
  await dp.endOutage()
})

afterAll(async () => {
  kinesis?.destroy()
  dynamodb?.destroy()
  await Promise.all([kp?.stop(), dp?.stop()])
  await Promise.all([kinesisLocal?.stop(), dynamo?.stop()])
})

const shardId = 'shardId-000000000000'
const iterator = async (): Promise<string> =>
  (
    await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: STREAM,
        ShardId: shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    )
  ).ShardIterator!

/** The rejection of `p`, which must reject. */
async function failure(
  p: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number }; code?: string }> {
  try {
    await p
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a failure')
}

describe('chaos proxy', () => {
  it('passes requests through untouched when no rule hits', async () => {
    const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: await iterator() }))
    expect(out.Records?.length).toBe(1)
    const item = await dynamodb.send(
      new GetItemCommand({ TableName: TABLE, Key: { k: { S: 'one' } } }),
    )
    expect(item.Item?.k?.S).toBe('one')
    expect(kp.requests().GetRecords).toBeGreaterThan(0)
  })

  it('throttles in each service’s words', async () => {
    kp.setRules([{ operations: ['GetRecords', 'ListShards'], fault: { kind: 'throttle' } }])
    dp.setRules([{ fault: { kind: 'throttle' } }])
    const it0 = await iterator()
    const gr = await failure(kinesis.send(new GetRecordsCommand({ ShardIterator: it0 })))
    expect(gr.name).toBe('ProvisionedThroughputExceededException')
    expect(gr.$metadata?.httpStatusCode).toBe(400)
    const ls = await failure(kinesis.send(new ListShardsCommand({ StreamName: STREAM })))
    expect(ls.name).toBe('LimitExceededException')
    const sc = await failure(dynamodb.send(new ScanCommand({ TableName: TABLE })))
    expect(sc.name).toBe('ThrottlingException')
    expect(sc.$metadata?.httpStatusCode).toBe(400)
    expect(kp.counts()['GetRecords throttle']).toBe(1)
  })

  it('answers 500 InternalFailure and 503 ServiceUnavailable', async () => {
    kp.setRules([{ fault: { kind: 'server-error', status: 500 } }])
    dp.setRules([{ fault: { kind: 'server-error', status: 503 } }])
    const k = await failure(kinesis.send(new ListShardsCommand({ StreamName: STREAM })))
    expect(k.name).toBe('InternalFailure')
    expect(k.$metadata?.httpStatusCode).toBe(500)
    const d = await failure(dynamodb.send(new ScanCommand({ TableName: TABLE })))
    expect(d.name).toBe('ServiceUnavailableException')
    expect(d.$metadata?.httpStatusCode).toBe(503)
  })

  it('resets a connection before forwarding, or after the write applied (a lost response)', async () => {
    dp.setRules([{ operations: ['PutItem'], fault: { kind: 'reset' }, count: 1 }])
    const before = await failure(
      dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: { k: { S: 'never' } } })),
    )
    expect(before.message + String(before.code)).toMatch(/ECONNRESET|socket hang up/)
    const never = await dynamodb.send(
      new GetItemCommand({ TableName: TABLE, Key: { k: { S: 'never' } } }),
    )
    expect(never.Item).toBeUndefined()

    dp.setRules([
      { operations: ['PutItem'], fault: { kind: 'reset', afterUpstream: true }, count: 1 },
    ])
    await failure(
      dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: { k: { S: 'lost' } } })),
    )
    const lost = await dynamodb.send(
      new GetItemCommand({ TableName: TABLE, Key: { k: { S: 'lost' } } }),
    )
    expect(lost.Item?.k?.S).toBe('lost')
  })

  it('cuts a body off halfway', async () => {
    kp.setRules([{ operations: ['ListShards'], fault: { kind: 'truncate' } }])
    await failure(kinesis.send(new ListShardsCommand({ StreamName: STREAM })))
    expect(kp.counts()['ListShards truncate']).toBe(1)
  })

  it('delays, and holds a request unanswered', async () => {
    dp.setRules([{ operations: ['GetItem'], fault: { kind: 'delay', ms: 300 }, count: 1 }])
    const t0 = performance.now()
    await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { k: { S: 'one' } } }))
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290)
    dp.setRules([{ operations: ['GetItem'], fault: { kind: 'hang' }, count: 1 }])
    const hung = await failure(
      dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { k: { S: 'one' } } }), {
        abortSignal: AbortSignal.timeout(1_000),
      }),
    )
    expect(hung.name).toMatch(/Abort|Timeout/)
  })

  it('answers well-formed 200s without the fields a client must not do without', async () => {
    kp.setRules([{ fault: { kind: 'malformed' } }])
    dp.setRules([{ operations: ['Scan'], fault: { kind: 'malformed' } }])
    const gsi = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: STREAM,
        ShardId: shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    )
    expect(gsi.ShardIterator).toBeUndefined()
    const ls = await kinesis.send(new ListShardsCommand({ StreamName: STREAM }))
    expect(ls.Shards).toBeUndefined()
    const dss = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }))
    expect(dss.StreamDescriptionSummary).toBeUndefined()
    kp.clearRules()
    const it0 = await iterator()
    kp.setRules([{ fault: { kind: 'malformed' } }])
    const gr = await kinesis.send(new GetRecordsCommand({ ShardIterator: it0 }))
    expect(gr.Records).toBeUndefined()
    expect(gr.NextShardIterator).toBeDefined()
    // The DynamoDB client checks x-amz-crc32: the rewritten body must carry a matching one.
    const scan = await dynamodb.send(new ScanCommand({ TableName: TABLE }))
    expect(scan.Items).toBeUndefined()
    expect(scan.Count).toBeGreaterThan(0)
  })

  it('refuses connections during a refuse outage and serves again after it', async () => {
    await dp.startOutage('refuse')
    // A pooled keep-alive socket may first show the reset of the connections the outage cut.
    await failure(dynamodb.send(new ScanCommand({ TableName: TABLE })))
    const refused = await failure(dynamodb.send(new ScanCommand({ TableName: TABLE })))
    expect(String(refused.code) + refused.message).toMatch(/ECONNREFUSED/)
    await dp.endOutage()
    const scan = await dynamodb.send(new ScanCommand({ TableName: TABLE }))
    expect(scan.Items?.length).toBeGreaterThan(0)
  })

  it('resets or holds every request during the other outages', async () => {
    await kp.startOutage('reset')
    await failure(kinesis.send(new ListShardsCommand({ StreamName: STREAM })))
    await kp.startOutage('hang')
    const hung = await failure(
      kinesis.send(new ListShardsCommand({ StreamName: STREAM }), {
        abortSignal: AbortSignal.timeout(1_000),
      }),
    )
    expect(hung.name).toMatch(/Abort|Timeout/)
    await kp.endOutage()
    const ls = await kinesis.send(new ListShardsCommand({ StreamName: STREAM }))
    expect(ls.Shards?.length).toBe(1)
  })
})
