// Shared set-up for Sync's integration tests: one kinesis-local and one dynalite per test file.
import { GetItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis'
import { leaseFromItem, type Lease } from '@kine/core'
import { dynamoClient, kinesisClient, startDynamo, startKinesis } from '@kine-tools/local'

export interface Env {
  dynamoEndpoint: string
  kinesis: KinesisClient
  dynamodb: DynamoDBClient
  stop(): Promise<void>
}

export async function startEnv(opts: { shardLimit?: number } = {}): Promise<Env> {
  const [k, d] = await Promise.all([
    startKinesis({ engine: 'kinesis-local', ...(opts.shardLimit ? { shardLimit: opts.shardLimit } : {}) }),
    startDynamo({ engine: 'dynalite' }),
  ])
  const kinesis = kinesisClient(k.endpoint)
  const dynamodb = dynamoClient(d.endpoint)
  return {
    dynamoEndpoint: d.endpoint,
    kinesis,
    dynamodb,
    async stop() {
      kinesis.destroy()
      dynamodb.destroy()
      await Promise.all([k.stop(), d.stop()])
    },
  }
}

/** Every lease in the table, by shard id, with the raw items for format checks. */
export async function readTable(dynamodb: DynamoDBClient, table: string): Promise<{ leases: Map<string, Lease>; items: Record<string, unknown>[] }> {
  const page = await dynamodb.send(new ScanCommand({ TableName: table, ConsistentRead: true }))
  const items = page.Items ?? []
  return { leases: new Map(items.map((i) => { const l = leaseFromItem(i); return [l.leaseKey, l] })), items }
}

export async function getLease(dynamodb: DynamoDBClient, table: string, shardId: string): Promise<Lease | undefined> {
  const r = await dynamodb.send(new GetItemCommand({ TableName: table, Key: { leaseKey: { S: shardId } }, ConsistentRead: true }))
  return r.Item ? leaseFromItem(r.Item) : undefined
}

export async function allShards(kinesis: KinesisClient, stream: string): Promise<Shard[]> {
  const shards: Shard[] = []
  let token: string | undefined
  do {
    const page = await kinesis.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: stream }))
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

let counter = 0
export const uniqueName = (prefix: string): string => `${prefix}-${process.pid}-${++counter}`
