// Reading a lease table as a test checks it, and building leases to write into one.
import { GetItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { Lease } from '@kine/core'
import { leaseFromItem } from '@kine/core/lease-table'

/** Every lease in the table, by lease key, with the raw items for format checks. */
export async function readLeases(
  dynamodb: DynamoDBClient,
  table: string,
): Promise<{ leases: Map<string, Lease>; items: Record<string, unknown>[] }> {
  const page = await dynamodb.send(new ScanCommand({ TableName: table, ConsistentRead: true }))
  const items = page.Items ?? []
  return {
    leases: new Map(
      items.map((i) => {
        const l = leaseFromItem(i)
        return [l.leaseKey, l]
      }),
    ),
    items,
  }
}

/** One lease (consistent read), or undefined if the table has none for the shard. */
export async function getLease(
  dynamodb: DynamoDBClient,
  table: string,
  shardId: string,
): Promise<Lease | undefined> {
  const r = await dynamodb.send(
    new GetItemCommand({
      TableName: table,
      Key: { leaseKey: { S: shardId } },
      ConsistentRead: true,
    }),
  )
  return r.Item ? leaseFromItem(r.Item) : undefined
}

/**
 * A lease with `fields` over these defaults: counter 0, checkpoint `TRIM_HORIZON`, no owner,
 * parents or children.
 */
export function testLease(fields: Partial<Lease> & Pick<Lease, 'leaseKey'>): Lease {
  return {
    leaseCounter: 0,
    checkpoint: 'TRIM_HORIZON',
    checkpointSubSequenceNumber: 0,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: [],
    childShardIds: [],
    ...fields,
  }
}
