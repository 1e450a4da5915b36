// Contender "reader": @kine/core's ShardReader with its limits opened up ('unlimited'), one per
// shard, all shards at once, Limit 10,000 (its default): like the bare loop, it calls again as
// soon as a batch is consumed, so both are bound by the same thing (the emulator and parsing).
import { ShardReader } from '@kine/core'
import { contenderArgs, measure, sumTotals, type ReadTotals } from './contender.js'
import { benchKinesisClient } from './sdk-client.js'

const args = contenderArgs()
const client = benchKinesisClient(args.endpoint)

async function readShard(shardId: string, expected: number): Promise<ReadTotals> {
  const reader = new ShardReader({
    client,
    streamName: args.stream,
    shardId,
    position: 'TRIM_HORIZON',
    limits: 'unlimited',
    limit: 10_000,
  })
  let records = 0
  let bytes = 0
  let calls = 0
  for await (const batch of reader.read()) {
    calls++
    for (const record of batch.records) {
      records++
      bytes += record.data.byteLength
    }
    if (records >= expected) break
    if (batch.shardEnded)
      throw new Error(`${shardId} ended after ${records} of ${expected} records`)
  }
  return { records, bytes, calls }
}

measure('reader', async () => {
  try {
    return sumTotals(
      await Promise.all(Object.entries(args.shards).map(([id, n]) => readShard(id, n))),
    )
  } finally {
    client.destroy()
  }
})
