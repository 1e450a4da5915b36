// Creating the lease table on first use. Many workers may start at once on a missing table (the
// predecessor crashed on ResourceInUseException there): every caller must come out with an ACTIVE
// table, whoever's CreateTable won, and a transient AWS fault must not stop a worker from starting.

import {
  CreateTableCommand,
  DescribeTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb'
import { abortReason, systemClock, type Clock } from './clock.js'
import {
  awsErrorName,
  isAccessDeniedError,
  isResourceNotFoundError,
  isRetryableAwsError,
  toKineError,
} from './aws-errors.js'
import { backoffDelay } from './backoff.js'
import { AccessDeniedError, InvalidConfigError, KineError } from './errors.js'
import { LEASE_ATTRIBUTES } from './lease-item.js'
import { silentLogger, type Logger } from './logger.js'
import { sendOptions } from './send-options.js'
import { OptionsValidator } from './validate.js'

/**
 * The CreateTable input of a lease table: hash key `leaseKey` (S), no range key, on-demand billing,
 * as the KCL creates it.
 */
export function createLeaseTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    KeySchema: [{ AttributeName: LEASE_ATTRIBUTES.leaseKey, KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: LEASE_ATTRIBUTES.leaseKey, AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  }
}

/** Options of {@link ensureLeaseTable}. */
export interface EnsureLeaseTableOptions {
  /**
   * Aborts the wait; the promise then rejects with the signal's reason (or an `AbortedError`).
   * @defaultValue none
   */
  readonly signal?: AbortSignal
  /**
   * Clock for polling and backoff waits.
   * @defaultValue systemClock
   */
  readonly clock?: Clock
  /**
   * Where progress and retried faults are logged.
   * @defaultValue silentLogger
   */
  readonly logger?: Logger
  /**
   * How long to keep waiting for the table (including retries of transient faults) before
   * rejecting with a `TIMEOUT` error. New on-demand tables usually take a few seconds on AWS.
   * @defaultValue 300_000 (5 minutes)
   */
  readonly timeoutMs?: number
}

/** What {@link ensureLeaseTable} found. */
export interface EnsureLeaseTableResult {
  /** True when this call's CreateTable made the table; false when it existed or another caller made it. */
  readonly created: boolean
}

/** Default of {@link EnsureLeaseTableOptions.timeoutMs}. */
const DEFAULT_ENSURE_TABLE_TIMEOUT_MS = 300_000

// Polling starts fast (emulators create tables at once) and backs off towards AWS's seconds.
const FIRST_POLL_MS = 50
const MAX_POLL_MS = 1_000
const MAX_RETRY_MS = 5_000

/**
 * Makes sure the lease table exists and is usable: creates it when missing, then waits until it is
 * `ACTIVE` (or `UPDATING`, which serves reads and writes). Safe to call from many processes at once:
 * a `ResourceInUseException` from CreateTable means another caller is creating it, and this one
 * waits for it too. Throttling, 5xx and network errors are retried with jittered backoff.
 *
 * @throws {@link AccessDeniedError} when the credentials may not describe or create the table.
 * @throws {@link InvalidConfigError} for bad options, or an existing table whose key is not `leaseKey` (S).
 * @throws {@link KineError} `TIMEOUT` when `timeoutMs` passes first; for any other refusal the typed
 *   error of `toKineError` (usually `AWS_ERROR`), with the SDK error as its `cause`.
 * @throws the signal's reason (or an `AbortedError`) when `signal` aborts.
 */
export async function ensureLeaseTable(
  dynamodb: DynamoDBClient,
  tableName: string,
  options: EnsureLeaseTableOptions = {},
): Promise<EnsureLeaseTableResult> {
  new OptionsValidator('ensureLeaseTable options', { dynamodb, tableName, ...options })
    .withMethods('dynamodb', ['send'])
    .nonEmptyString('tableName')
    .abortSignal('signal', { optional: true })
    .withMethods('clock', ['now', 'sleep'], { optional: true })
    .withMethods('logger', ['debug', 'info', 'warn'], { optional: true })
    .positiveInteger('timeoutMs', { optional: true })
    .throwIfInvalid()
  const { signal } = options
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? silentLogger
  const deadline = clock.now() + (options.timeoutMs ?? DEFAULT_ENSURE_TABLE_TIMEOUT_MS)
  const callOptions = sendOptions(signal)

  let created = false
  let pollMs = FIRST_POLL_MS
  let failures = 0
  let lastState = 'not yet described'

  for (;;) {
    if (signal?.aborted) throw abortReason(signal)
    let waitMs = pollMs
    try {
      const { Table } = await dynamodb.send(
        new DescribeTableCommand({ TableName: tableName }),
        callOptions,
      )
      failures = 0
      const status = Table?.TableStatus
      if (status === 'ACTIVE' || status === 'UPDATING') {
        checkKeySchema(tableName, Table)
        logger.debug({ tableName, created }, 'lease table ready')
        return { created }
      }
      if (
        status === 'ARCHIVED' ||
        status === 'ARCHIVING' ||
        status === 'INACCESSIBLE_ENCRYPTION_CREDENTIALS'
      ) {
        throw new KineError('AWS_ERROR', `lease table ${tableName} is ${status}: it cannot be used`)
      }
      // CREATING, DELETING (it will be gone, then created again), or a status not known yet.
      lastState = `status ${status ?? 'missing'}`
      pollMs = Math.min(MAX_POLL_MS, Math.round(pollMs * 1.5))
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal)
      if (error instanceof KineError) throw error
      if (isResourceNotFoundError(error)) {
        lastState = 'missing'
        // Not 0 after CreateTable: DescribeTable is eventually consistent and may still say
        // ResourceNotFound for a moment, which must not spin CreateTable in a tight loop.
        pollMs = Math.min(MAX_POLL_MS, Math.round(pollMs * 1.5))
        try {
          await dynamodb.send(new CreateTableCommand(createLeaseTableInput(tableName)), callOptions)
          created = true
          logger.info({ tableName }, 'created lease table')
        } catch (createError) {
          if (signal?.aborted) throw abortReason(signal)
          if (awsErrorName(createError) === 'ResourceInUseException') {
            // Another caller created it (or is deleting an old one): wait for it like our own.
            logger.debug({ tableName }, 'lease table is being created by another caller')
          } else {
            waitMs = retryWait(tableName, 'CreateTable', createError, logger, failures++)
            lastState = `CreateTable failed: ${awsErrorName(createError)}`
          }
        }
      } else {
        waitMs = retryWait(tableName, 'DescribeTable', error, logger, failures++)
        lastState = `DescribeTable failed: ${awsErrorName(error)}`
      }
    }
    const left = deadline - clock.now()
    if (left <= 0) {
      throw new KineError(
        'TIMEOUT',
        `lease table ${tableName} not ready after ${options.timeoutMs ?? DEFAULT_ENSURE_TABLE_TIMEOUT_MS} ms (${lastState})`,
      )
    }
    if (waitMs > 0) await clock.sleep(Math.min(waitMs, left), signal)
  }
}

function checkKeySchema(tableName: string, table: TableDescription | undefined): void {
  const keys = table?.KeySchema
  if (keys === undefined) return
  const hash = keys.find((k) => k.KeyType === 'HASH')
  const range = keys.find((k) => k.KeyType === 'RANGE')
  const type = table?.AttributeDefinitions?.find(
    (d) => d.AttributeName === hash?.AttributeName,
  )?.AttributeType
  const problems: string[] = []
  if (hash?.AttributeName !== LEASE_ATTRIBUTES.leaseKey || (type !== undefined && type !== 'S')) {
    problems.push(
      `hash key is ${hash?.AttributeName ?? 'missing'} (${type ?? '?'}), expected leaseKey (S)`,
    )
  }
  if (range !== undefined) {
    problems.push(`has range key ${range.AttributeName ?? '?'}; a lease table has none`)
  }
  if (problems.length > 0) {
    throw new InvalidConfigError(`lease table ${tableName} (not a lease table?)`, problems)
  }
}

/** Throws what cannot be retried; returns how long to wait before retrying the rest. */
function retryWait(
  tableName: string,
  operation: string,
  error: unknown,
  logger: Logger,
  attempt: number,
): number {
  if (isAccessDeniedError(error)) {
    throw new AccessDeniedError(
      `${operation} on lease table ${tableName} was denied (${awsErrorName(error)})`,
      { cause: error },
    )
  }
  if (!isRetryableAwsError(error)) {
    throw toKineError(error, `${operation} on lease table ${tableName}`, 'TABLE_NOT_FOUND')
  }
  const waitMs = Math.round(backoffDelay(attempt, { capMs: MAX_RETRY_MS }))
  logger.warn(
    { tableName, operation, error: awsErrorName(error), retryInMs: waitMs },
    'retrying lease table call',
  )
  return waitMs
}
