// Sync's options: one interface, defaults as named exports, applied and validated in one place.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import {
  noopMetrics,
  silentLogger,
  systemClock,
  type Clock,
  type InitialPosition,
  type Logger,
  type MetricsSink,
} from '@kine/core'
import {
  OptionsValidator,
  initialSentinel,
  isInitialPosition,
  type InitialSentinel,
} from '@kine/core/lease-table'

export interface SyncOptions {
  /** The stream whose shards the table mirrors. */
  readonly streamName: string
  /** The lease table (one per consuming application). Created if missing. */
  readonly tableName: string
  /** Caller-owned Kinesis client; Sync never destroys it. */
  readonly kinesis: KinesisClient
  /** Caller-owned DynamoDB client; Sync never destroys it. */
  readonly dynamodb: DynamoDBClient
  /**
   * Where a new table's leases start (rule 7 of docs/lease-protocol.md): the first pass writes it
   * as their checkpoint sentinel. Leases created later (new shards) always start at `TRIM_HORIZON`.
   * The timestamp itself is the workers' configuration; the table stores only `AT_TIMESTAMP`.
   */
  readonly initialPosition: InitialPosition
  /** Time between passes; each wait is jittered by ±20% so many syncers spread out. @defaultValue 60_000 */
  readonly intervalMs?: number
  /** How long a finished lease stays after it became deletable. @defaultValue 300_000 */
  readonly gracePeriodMs?: number
  /**
   * How long a shard must stay missing from complete listings before Sync ends or deletes its lease
   * (rule 8 of docs/lease-protocol.md): the first listing without it marks the lease
   * (`kineShardAbsentSince`), and only a listing at least this much later that still misses it
   * confirms the shard is gone. A shard seen again clears the mark. Measured on the wall clocks of
   * the Syncs that list.
   * @defaultValue 10_000
   */
  readonly shardGoneConfirmMs?: number
  /** ListShards `MaxResults` per page. @defaultValue 1000 */
  readonly pageSize?: number
  /** Stops the loop, like `stop()`. @defaultValue none */
  readonly signal?: AbortSignal
  /** @defaultValue silent */
  readonly logger?: Logger
  /** Receives `Sync.Created` and `Sync.Deleted` per pass. @defaultValue none */
  readonly metrics?: MetricsSink
  /** @defaultValue systemClock */
  readonly clock?: Clock
  /** Random source for the interval's jitter. @defaultValue Math.random */
  readonly random?: () => number
}

const DEFAULT_SYNC_INTERVAL_MS = 60_000
const DEFAULT_GRACE_PERIOD_MS = 300_000
const DEFAULT_PAGE_SIZE = 1000
export const DEFAULT_SHARD_GONE_CONFIRM_MS = 10_000

export interface ResolvedSyncOptions {
  readonly streamName: string
  readonly tableName: string
  readonly kinesis: KinesisClient
  readonly dynamodb: DynamoDBClient
  readonly initial: InitialSentinel
  readonly intervalMs: number
  readonly gracePeriodMs: number
  readonly shardGoneConfirmMs: number
  readonly pageSize: number
  readonly signal: AbortSignal | undefined
  readonly logger: Logger
  readonly metrics: MetricsSink
  readonly clock: Clock
  readonly random: () => number
}

/** Applies defaults and checks everything at once; throws one InvalidConfigError listing every problem. */
export function resolveSyncOptions(options: SyncOptions): ResolvedSyncOptions {
  const v = new OptionsValidator('Sync options', options)
    .nonEmptyString('streamName')
    .nonEmptyString('tableName')
    .withMethods('kinesis', ['send'])
    .withMethods('dynamodb', ['send'])
    .number('intervalMs', { optional: true, min: 100 })
    .number('gracePeriodMs', { optional: true, min: 0 })
    .number('shardGoneConfirmMs', { optional: true, integer: true, min: 0 })
    .number('pageSize', { optional: true, integer: true, min: 1, max: 10_000 })
    .abortSignal('signal', { optional: true })
    .withMethods('metrics', ['record'], { optional: true })
    .withMethods('clock', ['now', 'sleep'], { optional: true })
  const pos = v.value('initialPosition')
  let initial: InitialSentinel = 'TRIM_HORIZON'
  if (isInitialPosition(pos)) initial = initialSentinel(pos)
  else
    v.add(
      `initialPosition is required: 'TRIM_HORIZON', 'LATEST' or { timestamp: Date } (got ${JSON.stringify(pos)})`,
    )
  v.throwIfInvalid()
  return {
    streamName: options.streamName,
    tableName: options.tableName,
    kinesis: options.kinesis,
    dynamodb: options.dynamodb,
    initial,
    intervalMs: options.intervalMs ?? DEFAULT_SYNC_INTERVAL_MS,
    gracePeriodMs: options.gracePeriodMs ?? DEFAULT_GRACE_PERIOD_MS,
    shardGoneConfirmMs: options.shardGoneConfirmMs ?? DEFAULT_SHARD_GONE_CONFIRM_MS,
    pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE,
    signal: options.signal,
    logger: options.logger ?? silentLogger,
    metrics: options.metrics ?? noopMetrics,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
  }
}
