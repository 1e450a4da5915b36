// The callback API of the original library's sync (mapbox/kine's single-shard-lease branch):
// `sync(config, dynamodb, kinesis)`, `init(cb)` to create the table, `shards()` to sync in a loop.
// Here it drives a Sync over the KCL-compatible lease table; the position is required, as `shardIteratorType`.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import {
  consoleLogger,
  InvalidConfigError,
  type InitialPosition,
  type Logger,
  type MetricsSink,
} from '@kine/core'
import { Sync } from './sync.js'

/** The original's sync config, plus the position its successor needs. */
export interface LegacySyncConfig {
  /** The lease table. */
  readonly table: string
  readonly streamName: string
  /** Where a new table's leases start: `TRIM_HORIZON`, `LATEST` or `AT_TIMESTAMP` (with `timestamp`). */
  readonly shardIteratorType: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP'
  /** For `AT_TIMESTAMP`: a Date, epoch milliseconds or an ISO date string. */
  readonly timestamp?: Date | number | string
  /** Time between passes (the original's `shardSyncDelay`). @defaultValue 10_000 */
  readonly shardSyncDelay?: number
  /** Log to the console. @defaultValue false */
  readonly verbose?: boolean
  /** A logger; wins over `verbose`. @defaultValue none */
  readonly logger?: Logger
  /** A metrics sink (in place of the original's CloudWatch options). @defaultValue none */
  readonly metrics?: MetricsSink
}

/** What `sync()` returns: the original's two calls, and `stop()` which it lacked. */
export interface LegacySync {
  /** Creates the table if missing and waits until it is active; `cb(err)` when done. */
  init(cb?: (err: Error | null) => void): void
  /** Syncs now and then every `shardSyncDelay`; errors of the first pass go to `cb` (or the logger). */
  shards(cb?: (err: Error | null) => void): void
  /** Stops the loop. */
  stop(): Promise<void>
  /** The Sync underneath. */
  readonly instance: Sync
}

/** The original sync's shape over a kine {@link Sync}. */
export function sync(
  config: LegacySyncConfig,
  dynamodb: DynamoDBClient,
  kinesis: KinesisClient,
): LegacySync {
  const instance = new Sync({
    streamName: config.streamName,
    tableName: config.table,
    dynamodb,
    kinesis,
    initialPosition: legacyPosition(config),
    intervalMs: config.shardSyncDelay ?? 10_000,
    ...(config.logger
      ? { logger: config.logger }
      : config.verbose
        ? { logger: consoleLogger('kine-sync') }
        : {}),
    ...(config.metrics ? { metrics: config.metrics } : {}),
  })
  const report = (cb: ((err: Error | null) => void) | undefined) => (err: unknown) => {
    const error = err instanceof Error ? err : new Error(String(err))
    if (cb) cb(error)
    else (config.logger ?? consoleLogger('kine-sync')).error({ err: error }, 'kine sync failed')
  }
  return {
    instance,
    init(cb) {
      instance.init().then(() => cb?.(null), report(cb))
    },
    shards(cb) {
      instance.start().then(() => cb?.(null), report(cb))
    },
    stop: () => instance.stop(),
  }
}

function legacyPosition(config: LegacySyncConfig): InitialPosition {
  const type: unknown = config?.shardIteratorType
  if (type === 'TRIM_HORIZON' || type === 'LATEST') return type
  if (type === 'AT_TIMESTAMP') {
    const ts = config.timestamp
    const date =
      ts instanceof Date
        ? ts
        : typeof ts === 'number' || typeof ts === 'string'
          ? new Date(ts)
          : undefined
    if (date && !Number.isNaN(date.getTime())) return { timestamp: date }
    throw new InvalidConfigError('sync config', [
      'AT_TIMESTAMP needs a valid timestamp (a Date, epoch milliseconds or an ISO date)',
    ])
  }
  throw new InvalidConfigError('sync config', [
    `shardIteratorType is required: TRIM_HORIZON, LATEST or AT_TIMESTAMP (got ${JSON.stringify(type)})`,
  ])
}
