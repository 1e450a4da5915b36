// The data load: one stream, an exact number of records on every shard (each record's explicit
// hash key is its shard's first one), loaded once and read by every contender from TRIM_HORIZON.
import { randomBytes } from 'node:crypto'
import { ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import { createStream, putRecords, type LocalRecord } from '@kine-tools/local'

/** Records put per putRecords() call (it splits them into PutRecords of 500). */
const CHUNK = 2_000
/** Distinct payloads: the content does not matter, only the size. */
const PAYLOADS = 16

/** Creates `stream` with `shards` shards and puts `perShard` records of `recordBytes` on each. Returns shard id → records. */
export async function loadStream(
  client: KinesisClient,
  stream: string,
  shards: number,
  perShard: number,
  recordBytes: number,
): Promise<Record<string, number>> {
  await createStream(client, stream, shards)
  const listed = (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? []
  const payloads = Array.from({ length: PAYLOADS }, () => new Uint8Array(randomBytes(recordBytes)))
  const counts: Record<string, number> = {}
  // One loader per shard: the emulator is a process of its own and takes calls concurrently.
  await Promise.all(
    listed.map(async (shard, s) => {
      const shardId = shard.ShardId ?? ''
      const hashKey = shard.HashKeyRange?.StartingHashKey ?? '0'
      for (let start = 0; start < perShard; start += CHUNK) {
        const chunk: LocalRecord[] = []
        for (let i = start; i < Math.min(perShard, start + CHUNK); i++) {
          chunk.push({
            data: payloads[i % PAYLOADS] as Uint8Array,
            partitionKey: `s${s}-${i}`,
            explicitHashKey: hashKey,
          })
        }
        for (const put of await putRecords(client, stream, chunk))
          counts[put.shardId] = (counts[put.shardId] ?? 0) + 1
      }
      counts[shardId] ??= 0
    }),
  )
  return counts
}
