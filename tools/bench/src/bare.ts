// Contender "bare": the floor. A GetRecords loop written with the SDK alone, one per shard, all
// shards at once, Limit 10,000, the next call as soon as the previous response is in.
import { GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis'
import { contenderArgs, measure, sumTotals, type ReadTotals } from './contender.js'
import { benchKinesisClient } from './sdk-client.js'

const args = contenderArgs()
const client = benchKinesisClient(args.endpoint)

async function readShard(shardId: string, expected: number): Promise<ReadTotals> {
  const start = await client.send(
    new GetShardIteratorCommand({
      StreamName: args.stream,
      ShardId: shardId,
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  )
  let iterator = start.ShardIterator
  let records = 0
  let bytes = 0
  let calls = 0
  while (records < expected) {
    if (iterator === undefined)
      throw new Error(`${shardId} ended after ${records} of ${expected} records`)
    const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }))
    calls++
    for (const record of out.Records ?? []) {
      records++
      bytes += record.Data?.byteLength ?? 0
    }
    iterator = out.NextShardIterator
  }
  return { records, bytes, calls }
}

measure('bare', async () => {
  try {
    return sumTotals(
      await Promise.all(Object.entries(args.shards).map(([id, n]) => readShard(id, n))),
    )
  } finally {
    client.destroy()
  }
})
