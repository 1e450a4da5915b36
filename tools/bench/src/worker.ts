// Contender "worker": the whole kine worker, @kine/sync's Sync and @kine/lease's Consumer, on a
// fresh lease table in DynamoDB (dynalite, run by the parent) over the same pre-loaded stream as
// the other contenders. Its handler touches every record's data once and it checkpoints per batch
// (the default). The read phase runs from consumer.start() until every shard's last record has
// been checkpointed, so the checkpoint writes the worker waits on are inside the measurement.
//
// Options differ from the defaults only where noted in WORKER_OPTION_CHANGES (printed by the
// parent): limits 'unlimited' here, so the worker is bound by the same thing as the bare loop (the
// emulator and parsing). With BENCH_WORKER_LIMITS=default every option is the default, and each
// Kinesis call is logged per shard to check the limits, as the governed contender does.
import { Consumer } from '@kine/lease'
import { Sync } from '@kine/sync'
import { dynamoClient } from '@kine-tools/local'
import { CallLog } from './call-log.js'
import { contenderArgs, measure } from './contender.js'
import { DynamoRequestCounter } from './dynamo-requests.js'
import { governedShard } from './governed-shard.js'
import { benchKinesisClient } from './sdk-client.js'
import type { WorkerTotals } from './worker-result.js'

const args = contenderArgs()
const dynamoEndpoint = process.env.BENCH_DYNAMO_ENDPOINT
if (dynamoEndpoint === undefined) throw new Error('BENCH_DYNAMO_ENDPOINT is not set')
const defaultLimits = process.env.BENCH_WORKER_LIMITS === 'default'
const kinesis = benchKinesisClient(args.endpoint)
const dynamodb = dynamoClient(dynamoEndpoint)
const requests = new DynamoRequestCounter()
requests.attach(dynamodb)
// With the default limits, every Kinesis call is logged per shard, as in the governed contender.
const callLog = defaultLimits ? new CallLog() : undefined
callLog?.attach(kinesis)
// A fresh table per run: every run starts from TRIM_HORIZON with new leases.
const tableName = `bench-worker-${process.pid}-${Date.now()}`

const expected = new Map(Object.entries(args.shards))
const total = [...expected.values()].reduce((a, b) => a + b, 0)
// The sequence number of each shard's last record, once delivered; done when it is checkpointed.
const lastSequence = new Map<string, string>()
const delivered = new Map<string, number>()
/** performance.now() when each shard's last record was delivered. */
const drainedAt = new Map<string, number>()
const checkpointed = new Set<string>()
let records = 0
let bytes = 0
let calls = 0
let resolveDone: () => void = () => {}
const done = new Promise<void>((resolve) => (resolveDone = resolve))

const sync = new Sync({
  streamName: args.stream,
  tableName,
  kinesis,
  dynamodb,
  initialPosition: 'TRIM_HORIZON',
})
const consumer = new Consumer({
  streamName: args.stream,
  tableName,
  kinesis,
  dynamodb,
  ...(defaultLimits ? {} : { limits: 'unlimited' as const }),
  processRecords(batch, ctx) {
    calls++
    for (const record of batch) {
      records++
      bytes += record.data.byteLength
    }
    const n = (delivered.get(ctx.shardId) ?? 0) + batch.length
    delivered.set(ctx.shardId, n)
    const last = batch.at(-1)
    if (last !== undefined && n >= (expected.get(ctx.shardId) ?? Infinity)) {
      lastSequence.set(ctx.shardId, last.sequenceNumber)
      drainedAt.set(ctx.shardId, performance.now())
    }
  },
})
consumer.on('checkpoint', (c) => {
  if (lastSequence.get(c.shardId) === c.checkpoint && !checkpointed.has(c.shardId)) {
    checkpointed.add(c.shardId)
    if (checkpointed.size === expected.size) resolveDone()
  }
})

// Sync's first pass (table creation, leases) is set-up, like the data load: not measured.
await sync.start()
requests.reset()
measure(
  'worker',
  async (): Promise<WorkerTotals> => {
    const t0 = performance.now()
    await consumer.start()
    await done
    const readMs = performance.now() - t0
    const counts = requests.counts()
    if (records < total) throw new Error(`worker read ${records} of ${total} records`)
    return {
      records,
      bytes,
      calls,
      readerLimits: defaultLimits ? 'default' : 'unlimited',
      dynamoRequests: counts,
      dynamoRequestsPerSecond: (requests.total() * 1000) / readMs,
      ...(callLog === undefined
        ? {}
        : {
            untracedCalls: callLog.untraced,
            governed: [...expected].map(([shardId, n]) =>
              governedShard(
                callLog.shard(shardId),
                shardId,
                delivered.get(shardId) ?? 0,
                n,
                drainedAt.get(shardId),
              ),
            ),
          }),
    }
  },
  async () => {
    await consumer.stop()
    await sync.stop()
    kinesis.destroy()
    dynamodb.destroy()
  },
)
