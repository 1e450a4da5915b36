// Contender "governed": the ShardReader with its default limits (5 GetRecords calls/s and 2 MB/s
// per shard), on a client whose calls are logged per shard from outside the reader. It reads
// every shard to its end and on for a while caught up, then prints per-shard window maxima.
import { ShardReader } from '@kine/core'
import { CallLog } from './call-log.js'
import { contenderArgs } from './contender.js'
import type { GovernedResult, GovernedShard } from './governed-result.js'
import { governedShard } from './governed-shard.js'
import { benchKinesisClient } from './sdk-client.js'

const args = contenderArgs()
const limit = Number(process.env.BENCH_GOVERNED_LIMIT ?? 500)
// After its last record, each shard is read on caught up (empty batches at the idle pace) this long.
const idleMs = Number(process.env.BENCH_GOVERNED_IDLE_MS ?? 2000)
const client = benchKinesisClient(args.endpoint)
const log = new CallLog()
log.attach(client)

async function readShard(shardId: string, expected: number): Promise<GovernedShard> {
  const reader = new ShardReader({
    client,
    streamName: args.stream,
    shardId,
    position: 'TRIM_HORIZON',
    limit,
  })
  let records = 0
  let drainedAt: number | undefined
  for await (const batch of reader.read()) {
    records += batch.records.length
    const now = performance.now()
    if (drainedAt === undefined && records >= expected) drainedAt = now
    if (drainedAt !== undefined && now - drainedAt >= idleMs) break
    if (batch.shardEnded)
      throw new Error(`${shardId} ended after ${records} of ${expected} records`)
  }
  return governedShard(log.shard(shardId), shardId, records, expected, drainedAt)
}

process.env.AWS_EC2_METADATA_DISABLED = 'true'
Promise.all(Object.entries(args.shards).map(([id, n]) => readShard(id, n)))
  .then((shards) => {
    const result: GovernedResult = { limit, idleMs, untracedCalls: log.untraced, shards }
    process.stdout.write(`${JSON.stringify(result)}\n`)
  })
  .catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
  .finally(() => client.destroy())
