// The callback API of the original library (mapbox/kine): `kcl(config, dynamodb, kinesis)` with its
// option names and callbacks, records in its AWS SDK v2 shape, over a kine Consumer. Where the
// original exited or threw (a closed shard, a failed callback, a slow handler), this one carries on:
// the batch is retried, the shard's children are followed, a slow handler gives its lease up.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import {
  InvalidConfigError,
  consoleLogger,
  type KineRecord,
  type Logger,
  type MetricsSink,
  type InitialPosition,
  type RecordPosition,
} from '@kine/core'
import { Consumer } from './consumer.js'
import type { ConsumerOptions } from './options.js'

/** A record in the original's (AWS SDK v2) shape. */
export interface LegacyRecord {
  /** The record's bytes: a Buffer view over the bytes Kinesis returned (`r.Data.toString()` gives the text). */
  readonly Data: Buffer
  readonly PartitionKey: string
  readonly SequenceNumber: string
  /** Position inside a KPL aggregate (0 when not aggregated); the original had none. */
  readonly SubSequenceNumber: number
  readonly ApproximateArrivalTimestamp: Date
}

/** A Node-style callback. */
export type LegacyCallback<T = unknown> = (err?: Error | null, result?: T) => void

/** `this` inside the callbacks: the shard, and a manual checkpoint. */
export interface LegacyShard {
  /** The shard id. */
  readonly id: string
  /** The shard id (the lease's `leaseKey`). */
  readonly shardId: string
  /** This worker's id. */
  readonly workerId: string
  /**
   * Checkpoints at `sequenceNumber` (default: the current batch's last record), then calls `cb`.
   * Inside processRecords only: elsewhere `cb` gets an `InvalidConfigError`.
   */
  checkpointFunc(sequenceNumber?: string | LegacyCallback, cb?: LegacyCallback): void
}

/** The original kcl's configuration. */
export interface LegacyKclConfig {
  readonly streamName: string
  /** The lease table. */
  readonly table: string
  /** Where a new lease starts, for `AT_TIMESTAMP` (the table stores the sentinel). */
  readonly shardIteratorType?: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP'
  /** For `AT_TIMESTAMP`: a Date, epoch milliseconds or an ISO date string. */
  readonly timestamp?: Date | number | string
  /** Called once per newly leased shard before its first read; `this` is the shard. */
  readonly init: (this: LegacyShard, done: LegacyCallback) => void
  /**
   * Called with each batch. `done(null, true)`: checkpoint the batch's last record and read on;
   * `done(null, false)`: read on without checkpointing; `done(err)`: the batch is retried.
   */
  readonly processRecords: (
    this: LegacyShard,
    records: LegacyRecord[],
    done: LegacyCallback<boolean>,
  ) => void
  /** Called when the shard has ended, before it is marked complete. @defaultValue none */
  readonly onShardClosed?: (this: LegacyShard, done: LegacyCallback) => void
  /** Lease duration in milliseconds (the original's default, 120 s, is not kept). @defaultValue 10_000 */
  readonly leaseTimeout?: number
  /** Leases per process. @defaultValue 10 */
  readonly maxShards?: number
  /** Least time between two GetRecords on a caught-up shard. @defaultValue 200 */
  readonly minProcessTime?: number
  /** A callback running longer than this gives its lease up (the original threw). @defaultValue 300_000 */
  readonly maxProcessTime?: number
  /** GetRecords `Limit`. @defaultValue 10_000 */
  readonly limit?: number
  /** A metrics sink, in place of the original's CloudWatch options. @defaultValue none */
  readonly metrics?: MetricsSink
  /** Log to the console. @defaultValue false */
  readonly verbose?: boolean
  /** A logger; wins over `verbose`. @defaultValue none */
  readonly logger?: Logger
  /** This worker's id. @defaultValue `<hostname>:<uuid>` */
  readonly workerId?: string
}

/** What `kcl()` returns. */
export interface LegacyKcl {
  /** Settles once the worker runs (the worker starts at once, as the original did). */
  readonly ready: Promise<void>
  /** Stops: in-flight callbacks finish, checkpoints are written, leases released. */
  stop(): Promise<void>
  /** The Consumer underneath. */
  readonly consumer: Consumer
}

/** Starts a worker with the original kcl's configuration and callbacks. */
export function kcl(
  config: LegacyKclConfig,
  dynamodb: DynamoDBClient,
  kinesis: KinesisClient,
): LegacyKcl {
  const logger = config.logger ?? (config.verbose === true ? consoleLogger('kine') : undefined)
  const options: ConsumerOptions = {
    streamName: config.streamName,
    tableName: config.table,
    kinesis,
    dynamodb,
    checkpointing: 'manual',
    maxLeases: config.maxShards ?? 10,
    maxProcessTimeMs: config.maxProcessTime ?? 300_000,
    onSlowHandler: 'release-lease',
    ...legacyPosition(config),
    ...(config.leaseTimeout !== undefined ? { leaseDurationMs: config.leaseTimeout } : {}),
    ...(config.minProcessTime !== undefined ? { idleWaitMs: config.minProcessTime } : {}),
    ...(config.limit !== undefined ? { limit: config.limit } : {}),
    ...(config.metrics !== undefined ? { metrics: config.metrics } : {}),
    ...(logger !== undefined ? { logger } : {}),
    ...(config.workerId !== undefined ? { workerId: config.workerId } : {}),
    initialize: async (ctx) => {
      await call<unknown>((done) =>
        config.init.call(shard(ctx.shardId, ctx.workerId, undefined), done),
      )
    },
    processRecords: async (records, ctx) => {
      const batch = {
        records,
        checkpoint: (at?: RecordPosition): Promise<void> => ctx.checkpoint(at),
      }
      const legacy = records.map(toLegacyRecord)
      const save = await call<boolean>((done) =>
        config.processRecords.call(shard(ctx.shardId, ctx.workerId, batch), legacy, done),
      )
      if (save === true) await ctx.checkpoint()
    },
    ...(config.onShardClosed !== undefined
      ? {
          shardEnded: (ctx) => {
            const hook = config.onShardClosed
            return hook === undefined
              ? undefined
              : call<unknown>((done) =>
                  hook.call(shard(ctx.shardId, ctx.workerId, undefined), done),
                ).then(() => {})
          },
        }
      : {}),
  }
  const consumer = new Consumer(options)
  const ready = consumer.start()
  ready.catch((error: unknown) =>
    (logger ?? consoleLogger('kine')).error({ err: error }, 'kine kcl failed to start'),
  )
  return { ready, consumer, stop: () => consumer.stop() }
}

/** The SDK v2 record shape, with `Data` a Buffer view over the same bytes (no copy). */
function toLegacyRecord(r: KineRecord): LegacyRecord {
  return {
    Data: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength),
    PartitionKey: r.partitionKey,
    SequenceNumber: r.sequenceNumber,
    SubSequenceNumber: r.subSequenceNumber,
    ApproximateArrivalTimestamp: r.approximateArrivalTimestamp,
  }
}

function shard(
  shardId: string,
  workerId: string,
  batch:
    { records: readonly KineRecord[]; checkpoint(at?: RecordPosition): Promise<void> } | undefined,
): LegacyShard {
  return {
    id: shardId,
    shardId,
    workerId,
    checkpointFunc(sequenceNumber?: string | LegacyCallback, cb?: LegacyCallback): void {
      const callback = typeof sequenceNumber === 'function' ? sequenceNumber : cb
      const seq = typeof sequenceNumber === 'string' ? sequenceNumber : undefined
      if (batch === undefined) {
        callback?.(
          new InvalidConfigError('use of checkpointFunc', [
            'checkpointFunc works inside processRecords only',
          ]),
        )
        return
      }
      // The last user record with that sequence number: a whole KPL aggregate is checkpointed.
      const record =
        seq === undefined ? undefined : batch.records.findLast((r) => r.sequenceNumber === seq)
      const at =
        seq === undefined ? undefined : (record ?? { sequenceNumber: seq, subSequenceNumber: 0 })
      batch.checkpoint(at).then(
        () => callback?.(null),
        (error: unknown) => callback?.(error instanceof Error ? error : new Error(String(error))),
      )
    },
  }
}

function call<T>(start: (done: LegacyCallback<T>) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    start((err, result) => {
      if (err) reject(err instanceof Error ? err : new Error(String(err)))
      else resolve(result)
    })
  })
}

function legacyPosition(config: LegacyKclConfig): { initialPosition?: InitialPosition } {
  const type = config.shardIteratorType
  if (type === undefined) return {}
  if (type === 'TRIM_HORIZON' || type === 'LATEST') return { initialPosition: type }
  if (type === 'AT_TIMESTAMP') {
    const ts = config.timestamp
    const date =
      ts instanceof Date
        ? ts
        : typeof ts === 'number' || typeof ts === 'string'
          ? new Date(ts)
          : undefined
    if (date !== undefined && !Number.isNaN(date.getTime()))
      return { initialPosition: { timestamp: date } }
    throw new InvalidConfigError('kcl config', [
      'timestamp: AT_TIMESTAMP needs a valid Date, epoch milliseconds or ISO date',
    ])
  }
  throw new InvalidConfigError('kcl config', [
    `shardIteratorType: expected TRIM_HORIZON, LATEST or AT_TIMESTAMP, got ${String(type)}`,
  ])
}
