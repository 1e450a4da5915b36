// Set-up of the Consumer's integration tests, on top of @kine-tools/testkit's emulators: per-worker
// clients with a fault switch (a "crash": every call fails from then on) and a request counter, a
// recorder of what every handler saw, and the stream + leases + Consumer every test starts from.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import type { KineRecord } from '@kine/core'
import { Sync } from '@kine/sync'
import { dynamoClient, kinesisClient, putRecords } from '@kine-tools/local'
import { getLease, newStream, waitFor, type TestEnv } from '@kine-tools/testkit'
import { Consumer, type ConsumerOptions } from '../src/index.js'

/** Clients of one worker: `crash()` makes every later call fail at once, as if the process died. */
export interface WorkerClients {
  kinesis: KinesisClient
  dynamodb: DynamoDBClient
  /** DynamoDB requests by operation name. */
  counts: Map<string, number>
  crash(): void
  /** Makes DynamoDB calls fail (true) or work again (false). */
  partitionDynamo(down: boolean): void
  destroy(): void
}

export function workerClients(env: TestEnv): WorkerClients {
  const kinesis = kinesisClient(env.kinesisEndpoint)
  const dynamodb = dynamoClient(env.dynamoEndpoint, { config: { maxAttempts: 1 } })
  const counts = new Map<string, number>()
  let dead = false
  let dynamoDown = false
  const fail = (): Error =>
    Object.assign(new Error('connect ECONNREFUSED (test fault)'), { code: 'ECONNREFUSED' })
  // Test fault injection: a middleware that fails every call before it is sent.
  kinesis.middlewareStack.add((next) => (args) => (dead ? Promise.reject(fail()) : next(args)), {
    step: 'initialize',
    name: 'testFault',
  })
  dynamodb.middlewareStack.add(
    (next, context) => (args) => {
      if (dead || dynamoDown) return Promise.reject(fail())
      const name = context.commandName ?? '?'
      counts.set(name, (counts.get(name) ?? 0) + 1)
      return next(args)
    },
    { step: 'initialize', name: 'testFaultAndCount' },
  )
  return {
    kinesis,
    dynamodb,
    counts,
    crash: () => {
      dead = true
    },
    partitionDynamo: (down) => {
      dynamoDown = down
    },
    destroy: () => {
      kinesis.destroy()
      dynamodb.destroy()
    },
  }
}

/** One handler call as the recorder saw it. */
export interface Seen {
  worker: string
  shardId: string
  sequenceNumber: string
  subSequenceNumber: number
  data: string
}

/** Collects every record every worker processed (after its handler completed). */
export class Recorder {
  readonly seen: Seen[] = []
  add(worker: string, records: readonly KineRecord[]): void {
    for (const r of records) {
      this.seen.push({
        worker,
        shardId: r.shardId,
        sequenceNumber: r.sequenceNumber,
        subSequenceNumber: r.subSequenceNumber,
        data: Buffer.from(r.data).toString(),
      })
    }
  }
  distinct(): Set<string> {
    return new Set(this.seen.map((s) => s.data))
  }
  duplicates(): number {
    return this.seen.length - this.distinct().size
  }
}

/** Creates the table and the leases, as an app's Sync would. */
export async function syncLeases(
  env: TestEnv,
  stream: string,
  table: string,
  initialPosition: 'TRIM_HORIZON' | 'LATEST' = 'TRIM_HORIZON',
): Promise<void> {
  const sync = new Sync({
    streamName: stream,
    tableName: table,
    kinesis: env.kinesis,
    dynamodb: env.dynamodb,
    initialPosition,
  })
  await sync.init()
  await sync.syncOnce()
}

/** A new stream of `shards` shards and its lease table, every shard leased, as an app's Sync would. */
export async function leasedStream(
  env: TestEnv,
  prefix: string,
  shards: number,
): Promise<{ stream: string; table: string }> {
  const created = await newStream(env, prefix, shards)
  await syncLeases(env, created.stream, created.table)
  return created
}

/** Puts `count` records whose data is `<prefix>-<i>`, spread by partition key. */
export async function put(
  env: TestEnv,
  stream: string,
  prefix: string,
  count: number,
): Promise<string[]> {
  const data = Array.from({ length: count }, (_, i) => `${prefix}-${i}`)
  await putRecords(
    env.kinesis,
    stream,
    data.map((d) => ({ data: d, partitionKey: d })),
  )
  return data
}

/** A test Consumer on its own clients, recording what it processed. */
export function testConsumer(
  env: TestEnv,
  stream: string,
  table: string,
  recorder: Recorder,
  more: Partial<ConsumerOptions> & { workerId: string },
): { consumer: Consumer; clients: WorkerClients } {
  const clients = workerClients(env)
  const user = more.processRecords
  const consumer = new Consumer({
    streamName: stream,
    tableName: table,
    kinesis: clients.kinesis,
    dynamodb: clients.dynamodb,
    leaseDurationMs: 2_000,
    idleWaitMs: 50,
    limits: 'unlimited',
    handlerRetryBaseDelayMs: 50,
    handlerRetryMaxDelayMs: 200,
    stopTimeoutMs: 5_000,
    ...more,
    async processRecords(records, ctx) {
      if (user) await user(records, ctx)
      recorder.add(more.workerId, records)
    },
  })
  return { consumer, clients }
}

/** Per-shard order: each worker-independent sequence of one shard's records must be ascending. */
export function orderViolations(seen: readonly Seen[]): string[] {
  const problems: string[] = []
  const byShard = new Map<string, Seen[]>()
  for (const s of seen) byShard.set(s.shardId, [...(byShard.get(s.shardId) ?? []), s])
  for (const [shardId, list] of byShard) {
    // Duplicates after a failover replay earlier records: order is checked on first sightings.
    const firsts = new Map<string, Seen>()
    for (const s of list) if (!firsts.has(s.data)) firsts.set(s.data, s)
    const ordered = [...firsts.values()]
    for (let i = 1; i < ordered.length; i++) {
      const a = ordered[i - 1]!
      const b = ordered[i]!
      if (BigInt(a.sequenceNumber) > BigInt(b.sequenceNumber))
        problems.push(`${shardId}: ${a.data} after ${b.data}`)
    }
  }
  return problems
}

/** The KCL 2.x attribute types (plus `checkpointOwner`, as KCL 3.x): golden names and types. */
export const KCL_TYPES: Readonly<Record<string, string>> = {
  leaseKey: 'S',
  leaseOwner: 'S',
  leaseCounter: 'N',
  checkpoint: 'S',
  checkpointSubSequenceNumber: 'N',
  ownerSwitchesSinceCheckpoint: 'N',
  parentShardId: 'SS',
  childShardIds: 'SS',
  startingHashKey: 'S',
  endingHashKey: 'S',
  checkpointOwner: 'S',
}

/** Every attribute of `items` that is not a KCL attribute of the KCL's type. */
export function kclFormatProblems(items: readonly Record<string, unknown>[]): string[] {
  const problems: string[] = []
  for (const item of items) {
    for (const [name, value] of Object.entries(item)) {
      const types = Object.keys(value as object)
      if (KCL_TYPES[name] === undefined) problems.push(`unknown attribute ${name}`)
      else if (types.length !== 1 || types[0] !== KCL_TYPES[name])
        problems.push(`${name}: ${types.join(',')} instead of ${KCL_TYPES[name]}`)
    }
  }
  return problems
}

/** Waits until the shard of the last record `recorder` saw is checkpointed at that record. */
export async function waitForLastCheckpoint(
  env: TestEnv,
  table: string,
  recorder: Recorder,
  timeoutMs: number,
): Promise<void> {
  const last = recorder.seen.at(-1)
  if (last === undefined) throw new Error('waitForLastCheckpoint: no record was processed')
  await waitFor(
    'the last record checkpointed',
    async () =>
      (await getLease(env.dynamodb, table, last.shardId))?.checkpoint === last.sequenceNumber,
    timeoutMs,
  )
}
