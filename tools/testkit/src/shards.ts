// The shards of a test stream: listing them all, and splitting one in half.
import {
  ListShardsCommand,
  SplitShardCommand,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis'
import { waitForStreamActive } from '@kine-tools/local'

/** Every shard of the stream, open and closed, across ListShards pages. */
export async function allShards(kinesis: KinesisClient, stream: string): Promise<Shard[]> {
  const shards: Shard[] = []
  let token: string | undefined
  do {
    const page = await kinesis.send(
      new ListShardsCommand(token ? { NextToken: token } : { StreamName: stream }),
    )
    shards.push(...(page.Shards ?? []))
    token = page.NextToken
  } while (token)
  return shards
}

/** The midpoint of a shard's hash range, for SplitShard. */
export function midpoint(shard: Shard): string {
  const lo = BigInt(shard.HashKeyRange!.StartingHashKey!)
  const hi = BigInt(shard.HashKeyRange!.EndingHashKey!)
  return ((lo + hi) / 2n).toString()
}

/** Splits `shard` at the midpoint of its hash range and waits until the stream is ACTIVE again. */
export async function splitInHalf(
  kinesis: KinesisClient,
  stream: string,
  shard: Shard,
): Promise<void> {
  await kinesis.send(
    new SplitShardCommand({
      StreamName: stream,
      ShardToSplit: shard.ShardId,
      NewStartingHashKey: midpoint(shard),
    }),
  )
  await waitForStreamActive(kinesis, stream)
}
