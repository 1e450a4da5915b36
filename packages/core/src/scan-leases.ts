// Reads a whole lease table (every page, strongly consistent), parsing each item. An item that
// does not parse is reported, never fatal: one bad row must not stop a worker, Sync or the CLI.
// A page without `Items` (or one that hands back a start key already followed) is malformed: it is
// asked again, never read as an empty table, since callers act on what a scan does not show.

import {
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb'
import { malformedResponseError, toKineError } from './aws-errors.js'
import { backoffDelay } from './backoff.js'
import { systemClock, type Clock } from './clock.js'
import { InvalidLeaseItemError, leaseFromItem, type Lease } from './lease-item.js'
import { silentLogger, type Logger } from './logger.js'
import { noopMetrics, type MetricsSink } from './metrics.js'
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
  /**
   * Attempts per page when the answer is malformed (no `Items`) before giving up with a
   * retryable `MALFORMED_RESPONSE`. Errors of the call itself are not retried here.
   * @defaultValue 5
   */
  readonly maxAttempts?: number
  /** Waits out the backoff between attempts. @defaultValue systemClock */
  readonly clock?: Clock
  /** @defaultValue silent */
  readonly logger?: Logger
  /** Receives `MalformedResponses` for each malformed page. @defaultValue noopMetrics */
  readonly metrics?: MetricsSink
  /** The StreamName dimension of `MalformedResponses`. @defaultValue none */
  readonly streamName?: string
}

const DEFAULT_MAX_ATTEMPTS = 5

/**
 * Scans the lease table.
 * @throws a typed KineError (`TABLE_NOT_FOUND`, `ACCESS_DENIED`, ...) on failure, and a
 *   retryable `MALFORMED_RESPONSE` when a page stayed malformed for `maxAttempts` attempts
 */
export async function scanLeases(
  dynamodb: DynamoDBClient,
  tableName: string,
  options: ScanLeasesOptions = {},
): Promise<LeaseScan> {
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? silentLogger
  const metrics = options.metrics ?? noopMetrics
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
  const what = `lease table "${tableName}"`
  const leases: Lease[] = []
  const invalid: InvalidLeaseItemError[] = []
  // Every start key followed: one handed back again would loop for ever.
  const followed = new Set<string>()
  let startKey: Record<string, AttributeValue> | undefined
  do {
    if (startKey !== undefined) followed.add(JSON.stringify(startKey))
    let page: ScanCommandOutput
    for (let attempt = 1; ; attempt++) {
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
        throw toKineError(error, what, 'TABLE_NOT_FOUND')
      }
      const missing = malformedPage(page, followed)
      if (missing === undefined) break
      const error = malformedResponseError('Scan', missing, what)
      metrics.record(
        'MalformedResponses',
        1,
        'Count',
        options.streamName !== undefined ? { StreamName: options.streamName } : {},
      )
      if (attempt >= maxAttempts) throw error
      const wait = backoffDelay(attempt - 1, { baseMs: 200, capMs: 5_000 })
      logger.warn(
        { err: error, operation: 'Scan', table: tableName, attempt, wait },
        'malformed Scan page, asking for it again',
      )
      await clock.sleep(wait, options.signal)
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

/** What a page lacks (`Items`, or a start key not already followed), or undefined if sound. */
function malformedPage(page: ScanCommandOutput, followed: ReadonlySet<string>): string | undefined {
  if (!Array.isArray(page.Items)) return 'Items'
  const next = page.LastEvaluatedKey
  if (next !== undefined && Object.keys(next).length > 0 && followed.has(JSON.stringify(next)))
    return 'a new LastEvaluatedKey (it handed back one already followed)'
  return undefined
}
