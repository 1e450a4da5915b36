// Reads a whole lease table (every page, strongly consistent), parsing each item. An item that
// does not parse is reported, never fatal: one bad row must not stop a worker, Sync or the CLI.

import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { toKineError } from './aws-errors.js'
import { InvalidLeaseItemError, leaseFromItem, type Lease } from './lease-item.js'
import { sendOptions } from './send-options.js'

export interface LeaseScan {
  /** Every lease that parsed, in table order. */
  readonly leases: Lease[]
  /** Items that did not parse; their keys still count as leased where known. */
  readonly invalid: InvalidLeaseItemError[]
}

export interface ScanLeasesOptions {
  /** @defaultValue never */
  readonly signal?: AbortSignal
  /** Strongly consistent reads, so a write this process saw acknowledged is in the result. @defaultValue true */
  readonly consistentRead?: boolean
}

/** Scans the lease table. Throws a typed KineError (`TABLE_NOT_FOUND`, `ACCESS_DENIED`, ...) on failure. */
export async function scanLeases(
  dynamodb: DynamoDBClient,
  tableName: string,
  options: ScanLeasesOptions = {},
): Promise<LeaseScan> {
  const leases: Lease[] = []
  const invalid: InvalidLeaseItemError[] = []
  let startKey: Record<string, AttributeValue> | undefined
  do {
    let page
    try {
      page = await dynamodb.send(
        new ScanCommand({
          TableName: tableName,
          ConsistentRead: options.consistentRead ?? true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
        sendOptions(options.signal),
      )
    } catch (error) {
      options.signal?.throwIfAborted()
      throw toKineError(error, `lease table "${tableName}"`, 'TABLE_NOT_FOUND')
    }
    for (const item of page.Items ?? []) {
      try {
        leases.push(leaseFromItem(item))
      } catch (error) {
        if (error instanceof InvalidLeaseItemError) invalid.push(error)
        else throw error
      }
    }
    startKey = page.LastEvaluatedKey
  } while (startKey !== undefined && Object.keys(startKey).length > 0)
  return { leases, invalid }
}
