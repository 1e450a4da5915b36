// The Consumer's options: one interface, defaults as named exports applied in one place, and one
// InvalidConfigError listing every problem, so a misconfigured worker fails at construction.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import {
  noopMetrics,
  silentLogger,
  systemClock,
  type Clock,
  type InitialPosition,
  type KineRecord,
  type Logger,
  type MetricsSink,
  type ReaderLimits,
} from '@kine/core'
import { OptionsValidator, isInitialPosition } from '@kine/core/lease-table'
import type { LeaseLostInfo, RecordsContext, ShardContext, ShardEndContext } from './context.js'

/** What a shard's pipeline does once a batch has failed `handlerRetries + 1` times. */
export type HandlerFailurePolicy = 'retry-forever' | 'release-lease' | 'stop'

/** What happens when a handler runs longer than `maxProcessTimeMs`. */
export type SlowHandlerPolicy = 'report' | 'release-lease'

/** Lease duration F. */
const DEFAULT_LEASE_DURATION_MS = 10_000
/** Handler retries before the failure policy applies. */
const DEFAULT_HANDLER_RETRIES = 3
/** First wait before retrying a failed batch. */
const DEFAULT_HANDLER_RETRY_BASE_DELAY_MS = 1_000
/** Longest wait between retries of a failed batch. */
const DEFAULT_HANDLER_RETRY_MAX_DELAY_MS = 30_000
/** Delivered batches per shard that may lack an acknowledged checkpoint (batch checkpointing). */
const DEFAULT_MAX_UNCHECKPOINTED_BATCHES = 2
/** How long stop() lets in-flight handlers finish before abandoning them without a checkpoint. */
const DEFAULT_STOP_TIMEOUT_MS = 30_000
/** How long the table may hold no lease before the worker warns (naming Sync). */
const DEFAULT_NO_LEASES_WARNING_MS = 60_000

/** Options of {@link Consumer}. */
export interface ConsumerOptions {
  /** The stream to consume. */
  readonly streamName: string
  /** The lease table (one per consuming application); created, on-demand, if missing. */
  readonly tableName: string
  /** The app's Kinesis client: used, never configured or destroyed here. */
  readonly kinesis: KinesisClient
  /** The app's DynamoDB client: used, never configured or destroyed here. */
  readonly dynamodb: DynamoDBClient
  /**
   * Handles one batch of one shard, in shard order. Resolve: the batch is done (and checkpointed
   * unless `checkpointing` is `'manual'`). Throw: the batch is retried with backoff, never skipped.
   * Not called for empty batches.
   */
  readonly processRecords: (
    records: readonly KineRecord[],
    ctx: RecordsContext,
  ) => Promise<void> | void
  /**
   * Called once each time this worker starts a shard's pipeline, before its first read.
   * A throw is retried like a failed batch.
   * @defaultValue none
   */
  readonly initialize?: (ctx: ShardContext) => Promise<void> | void
  /**
   * Called once a shard has ended and every record of it was processed, before its children's
   * leases are created and `SHARD_END` is checkpointed (the original's `onShardClosed`).
   * A throw is retried like a failed batch.
   * @defaultValue none
   */
  readonly shardEnded?: (ctx: ShardEndContext) => Promise<void> | void
  /**
   * Told when this worker loses a lease it held (taken by another, expired, or handed off). The
   * shard's pipeline has already been aborted; nothing more is checkpointed for it.
   * @defaultValue none
   */
  readonly leaseLost?: (info: LeaseLostInfo) => void
  /**
   * Where a lease starts that has no checkpoint yet. The lease item's sentinel decides (rule 7 of
   * docs/lease-protocol.md, as in the KCL); this is needed only for `{ timestamp }` (the table
   * stores `AT_TIMESTAMP` without the time), and a lease whose sentinel differs from it is warned
   * about.
   * @defaultValue none: the item decides; an `AT_TIMESTAMP` lease is then refused with an error
   */
  readonly initialPosition?: InitialPosition
  /**
   * This worker's id, written as `leaseOwner`. Must be unique among live workers.
   * @defaultValue `<hostname>:<random uuid>`
   */
  readonly workerId?: string
  /**
   * Lease duration F in milliseconds: renewals every F/3, table scans every F/2 (jittered), a
   * dead worker's shards resume within F + F/2 plus one read.
   * @defaultValue 10_000 ({@link DEFAULT_LEASE_DURATION_MS})
   */
  readonly leaseDurationMs?: number
  /**
   * Milliseconds between table scans (jittered ±10%).
   * @defaultValue leaseDurationMs / 2
   */
  readonly scanIntervalMs?: number
  /**
   * How long a new owner waits for the previous owner's last checkpoint in a cooperative handoff
   * before it reads from the stored checkpoint. At least `leaseDurationMs`: the previous owner may
   * act on the lease until F has passed since its last renewal, so a shorter wait could let both
   * read the shard at once (rule 4 of docs/lease-protocol.md).
   * @defaultValue leaseDurationMs
   */
  readonly handoffTimeoutMs?: number
  /**
   * Most leases this worker holds at once.
   * @defaultValue Infinity
   */
  readonly maxLeases?: number
  /**
   * `'batch'`: checkpoint after every successful batch. `'manual'`: only where the app calls
   * `ctx.checkpoint()` (and at a shard's end).
   * @defaultValue 'batch'
   */
  readonly checkpointing?: 'batch' | 'manual'
  /**
   * Most delivered batches of one shard that may lack an acknowledged checkpoint: the next batch
   * is held back (its checkpoint retried with backoff) until the table has caught up. This bounds
   * what a DynamoDB outage costs in duplicates, since everything after the stored checkpoint is
   * delivered again by whoever reads the shard next. With `'batch'` checkpointing, 2 lets a
   * batch's checkpoint write overlap the next batch's handler; 1 waits for every write. With
   * `'manual'`, the app's own `ctx.checkpoint()` calls must catch up: a handler that never
   * checkpoints would stall its shard, so the default there is no limit.
   * @defaultValue 2 with `checkpointing: 'batch'`; Infinity (no limit) with `'manual'`
   */
  readonly maxUncheckpointedBatches?: number
  /**
   * Retries of a failed batch (or hook) before `onHandlerFailure` applies.
   * @defaultValue 3 ({@link DEFAULT_HANDLER_RETRIES})
   */
  readonly handlerRetries?: number
  /**
   * First backoff between retries of a failed batch; doubles, with jitter.
   * @defaultValue 1_000 ({@link DEFAULT_HANDLER_RETRY_BASE_DELAY_MS})
   */
  readonly handlerRetryBaseDelayMs?: number
  /**
   * Longest backoff between retries of a failed batch.
   * @defaultValue 30_000 ({@link DEFAULT_HANDLER_RETRY_MAX_DELAY_MS})
   */
  readonly handlerRetryMaxDelayMs?: number
  /**
   * After the retries: `'retry-forever'` keeps retrying at the longest backoff; `'release-lease'`
   * gives the shard up (checkpointed up to the last good batch) for another worker or a later
   * scan; `'stop'` stops this Consumer. A batch is never skipped.
   * @defaultValue 'retry-forever'
   */
  readonly onHandlerFailure?: HandlerFailurePolicy
  /**
   * A handler (processRecords or a hook) running longer than this is reported (`slowHandler`
   * event, warning log); with `onSlowHandler: 'release-lease'` the batch is abandoned and the
   * lease given up (the original's maxProcessTime).
   * @defaultValue Infinity (never reported)
   */
  readonly maxProcessTimeMs?: number
  /**
   * What a handler over `maxProcessTimeMs` costs.
   * @defaultValue 'report'
   */
  readonly onSlowHandler?: SlowHandlerPolicy
  /**
   * How long `stop()` lets in-flight handlers finish; then they are abandoned without a checkpoint
   * and the leases released anyway.
   * @defaultValue 30_000 ({@link DEFAULT_STOP_TIMEOUT_MS})
   */
  readonly stopTimeoutMs?: number
  /**
   * Warn (naming Sync) when the table has held no lease for this long.
   * @defaultValue 60_000 ({@link DEFAULT_NO_LEASES_WARNING_MS})
   */
  readonly noLeasesWarningMs?: number
  /**
   * GetRecords `Limit` (1 to 10,000): bounds the records per batch and the reader's memory.
   * @defaultValue 10_000
   */
  readonly limit?: number
  /**
   * Least time between two GetRecords on a caught-up shard.
   * @defaultValue 200
   */
  readonly idleWaitMs?: number
  /**
   * Per-shard Kinesis limits for the reader, or `'unlimited'` (emulators).
   * @defaultValue the Kinesis limits
   */
  readonly limits?: ReaderLimits | 'unlimited'
  /**
   * Stops the Consumer as `stop()` does.
   * @defaultValue none
   */
  readonly signal?: AbortSignal
  /** @defaultValue silent */
  readonly logger?: Logger
  /**
   * Receives RecordsProcessed, BytesProcessed, ProcessingTime, Checkpoints, CheckpointTime,
   * LeasesHeld, LeasesTaken, LeasesLost, LeasesHandedOff, BlockedOnParent, ShardIteratorAgeInMs,
   * and the reader's metrics.
   * @defaultValue none
   */
  readonly metrics?: MetricsSink
  /** @defaultValue systemClock */
  readonly clock?: Clock
  /**
   * Random source in [0, 1) for jitter and the order leases are taken in.
   * @defaultValue Math.random
   */
  readonly random?: () => number
}

/** The options with every default applied. */
export interface ResolvedOptions {
  readonly streamName: string
  readonly tableName: string
  readonly kinesis: KinesisClient
  readonly dynamodb: DynamoDBClient
  readonly processRecords: ConsumerOptions['processRecords']
  readonly initialize: ConsumerOptions['initialize']
  readonly shardEnded: ConsumerOptions['shardEnded']
  readonly leaseLost: ConsumerOptions['leaseLost']
  readonly initialPosition: InitialPosition | undefined
  readonly workerId: string
  readonly leaseDurationMs: number
  readonly scanIntervalMs: number
  readonly handoffTimeoutMs: number
  readonly maxLeases: number
  readonly checkpointing: 'batch' | 'manual'
  readonly maxUncheckpointedBatches: number
  readonly handlerRetries: number
  readonly handlerRetryBaseDelayMs: number
  readonly handlerRetryMaxDelayMs: number
  readonly onHandlerFailure: HandlerFailurePolicy
  readonly maxProcessTimeMs: number
  readonly onSlowHandler: SlowHandlerPolicy
  readonly stopTimeoutMs: number
  readonly noLeasesWarningMs: number
  readonly limit: number | undefined
  readonly idleWaitMs: number | undefined
  readonly limits: ReaderLimits | 'unlimited' | undefined
  readonly signal: AbortSignal | undefined
  readonly logger: Logger
  readonly metrics: MetricsSink
  readonly clock: Clock
  readonly random: () => number
}

function positiveOrInfinity(v: OptionsValidator, key: string): void {
  const value = v.value(key)
  v.check(
    value === undefined ||
      value === Infinity ||
      (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1),
    `${key}: expected a positive integer or Infinity, got ${String(value)}`,
  )
}

/** Validates `options` (one InvalidConfigError listing every problem) and applies the defaults. */
export function resolveOptions(options: ConsumerOptions): ResolvedOptions {
  const v = new OptionsValidator('Consumer options', options)
    .nonEmptyString('streamName')
    .nonEmptyString('tableName')
    .withMethods('kinesis', ['send'])
    .withMethods('dynamodb', ['send'])
    .func('processRecords')
    .func('initialize', { optional: true })
    .func('shardEnded', { optional: true })
    .func('leaseLost', { optional: true })
    .nonEmptyString('workerId', { optional: true })
    .number('leaseDurationMs', { optional: true, min: 100, integer: true })
    .number('scanIntervalMs', { optional: true, min: 10, integer: true })
    .number('handoffTimeoutMs', { optional: true, min: 0, integer: true })
    .oneOf('checkpointing', ['batch', 'manual'], { optional: true })
    .nonNegativeInteger('handlerRetries', { optional: true })
    .number('handlerRetryBaseDelayMs', { optional: true, min: 0 })
    .number('handlerRetryMaxDelayMs', { optional: true, min: 0 })
    .oneOf('onHandlerFailure', ['retry-forever', 'release-lease', 'stop'], { optional: true })
    .oneOf('onSlowHandler', ['report', 'release-lease'], { optional: true })
    .number('stopTimeoutMs', { optional: true, min: 0 })
    .number('noLeasesWarningMs', { optional: true, min: 0 })
    .number('limit', { optional: true, min: 1, max: 10_000, integer: true })
    .number('idleWaitMs', { optional: true, min: 0 })
    .abortSignal('signal', { optional: true })
    .withMethods('logger', ['trace', 'debug', 'info', 'warn', 'error', 'child'], { optional: true })
    .withMethods('metrics', ['record'], { optional: true })
    .withMethods('clock', ['now', 'wallNow', 'sleep'], { optional: true })
    .func('random', { optional: true })
  positiveOrInfinity(v, 'maxLeases')
  positiveOrInfinity(v, 'maxProcessTimeMs')
  positiveOrInfinity(v, 'maxUncheckpointedBatches')
  const initial = v.value('initialPosition')
  v.check(
    initial === undefined || isInitialPosition(initial),
    "initialPosition: expected 'TRIM_HORIZON', 'LATEST' or { timestamp: Date } with a valid Date",
  )
  const lease = v.value('leaseDurationMs')
  const handoff = v.value('handoffTimeoutMs')
  if (typeof handoff === 'number') {
    const f = typeof lease === 'number' ? lease : DEFAULT_LEASE_DURATION_MS
    // Rule 4 of docs/lease-protocol.md: the old owner's rule-2 deadline must fall before the new
    // owner reads.
    v.check(handoff >= f, `handoffTimeoutMs: must be at least leaseDurationMs (${f})`)
  }
  const base = v.value('handlerRetryBaseDelayMs')
  const cap = v.value('handlerRetryMaxDelayMs')
  v.check(
    !(typeof base === 'number' && typeof cap === 'number' && base > cap),
    'handlerRetryBaseDelayMs: must not exceed handlerRetryMaxDelayMs',
  )
  v.throwIfInvalid()

  const leaseDurationMs = options.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS
  return {
    streamName: options.streamName,
    tableName: options.tableName,
    kinesis: options.kinesis,
    dynamodb: options.dynamodb,
    processRecords: options.processRecords,
    initialize: options.initialize,
    shardEnded: options.shardEnded,
    leaseLost: options.leaseLost,
    initialPosition: options.initialPosition,
    workerId: options.workerId ?? `${hostname()}:${randomUUID()}`,
    leaseDurationMs,
    scanIntervalMs: options.scanIntervalMs ?? Math.round(leaseDurationMs / 2),
    handoffTimeoutMs: options.handoffTimeoutMs ?? leaseDurationMs,
    maxLeases: options.maxLeases ?? Infinity,
    checkpointing: options.checkpointing ?? 'batch',
    maxUncheckpointedBatches:
      options.maxUncheckpointedBatches ??
      ((options.checkpointing ?? 'batch') === 'batch'
        ? DEFAULT_MAX_UNCHECKPOINTED_BATCHES
        : Infinity),
    handlerRetries: options.handlerRetries ?? DEFAULT_HANDLER_RETRIES,
    handlerRetryBaseDelayMs: options.handlerRetryBaseDelayMs ?? DEFAULT_HANDLER_RETRY_BASE_DELAY_MS,
    handlerRetryMaxDelayMs: options.handlerRetryMaxDelayMs ?? DEFAULT_HANDLER_RETRY_MAX_DELAY_MS,
    onHandlerFailure: options.onHandlerFailure ?? 'retry-forever',
    maxProcessTimeMs: options.maxProcessTimeMs ?? Infinity,
    onSlowHandler: options.onSlowHandler ?? 'report',
    stopTimeoutMs: options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
    noLeasesWarningMs: options.noLeasesWarningMs ?? DEFAULT_NO_LEASES_WARNING_MS,
    limit: options.limit,
    idleWaitMs: options.idleWaitMs,
    limits: options.limits,
    signal: options.signal,
    logger: options.logger ?? silentLogger,
    metrics: options.metrics ?? noopMetrics,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
  }
}
