// Sync's options: one interface, defaults as named exports, applied and validated in one place.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import {
  InvalidConfigError,
  noopMetrics,
  silentLogger,
  systemClock,
  type Clock,
  type Logger,
  type MetricsSink,
} from '@kine/core'
import type { InitialSentinel } from './plan.js'

/** Where the first pass's leases start: a sentinel, or a point in time (`AT_TIMESTAMP`). */
export type InitialPosition = 'TRIM_HORIZON' | 'LATEST' | { readonly timestamp: Date }

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
   * Where a new table's leases start (DESIGN.md rule 7): the first pass writes it as their
   * checkpoint sentinel. Leases created later (new shards) always start at `TRIM_HORIZON`.
   * The timestamp itself is the workers' configuration; the table stores only `AT_TIMESTAMP`.
   */
  readonly initialPosition: InitialPosition
  /** Time between passes; each wait is jittered by ±20% so many syncers spread out. @defaultValue 60_000 */
  readonly intervalMs?: number
  /** How long a finished lease stays after it became deletable. @defaultValue 300_000 */
  readonly gracePeriodMs?: number
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

export const DEFAULT_SYNC_INTERVAL_MS = 60_000
export const DEFAULT_GRACE_PERIOD_MS = 300_000
export const DEFAULT_PAGE_SIZE = 1000

export interface ResolvedSyncOptions {
  readonly streamName: string
  readonly tableName: string
  readonly kinesis: KinesisClient
  readonly dynamodb: DynamoDBClient
  readonly initial: InitialSentinel
  readonly intervalMs: number
  readonly gracePeriodMs: number
  readonly pageSize: number
  readonly signal: AbortSignal | undefined
  readonly logger: Logger
  readonly metrics: MetricsSink
  readonly clock: Clock
  readonly random: () => number
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null
const hasSend = (v: unknown): boolean => isObject(v) && typeof v.send === 'function'
const nonNegative = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0

/** Applies defaults and checks everything at once; throws one InvalidConfigError listing every problem. */
export function resolveSyncOptions(options: SyncOptions): ResolvedSyncOptions {
  const o = (isObject(options) ? options : {}) as Partial<SyncOptions>
  const problems: string[] = []
  if (!isObject(options)) problems.push('options must be an object')
  if (typeof o.streamName !== 'string' || o.streamName === '')
    problems.push('streamName is required (a non-empty string)')
  if (typeof o.tableName !== 'string' || o.tableName === '')
    problems.push('tableName is required (a non-empty string)')
  if (!hasSend(o.kinesis))
    problems.push('kinesis must be a KinesisClient from @aws-sdk/client-kinesis')
  if (!hasSend(o.dynamodb))
    problems.push('dynamodb must be a DynamoDBClient from @aws-sdk/client-dynamodb')
  let initial: InitialSentinel = 'TRIM_HORIZON'
  const pos: unknown = o.initialPosition
  if (pos === 'TRIM_HORIZON' || pos === 'LATEST') initial = pos
  else if (isObject(pos) && pos.timestamp instanceof Date && !Number.isNaN(pos.timestamp.getTime()))
    initial = 'AT_TIMESTAMP'
  else
    problems.push(
      `initialPosition is required: 'TRIM_HORIZON', 'LATEST' or { timestamp: Date } (got ${JSON.stringify(pos)})`,
    )
  if (o.intervalMs !== undefined && !(nonNegative(o.intervalMs) && o.intervalMs >= 100))
    problems.push('intervalMs must be a number of milliseconds, at least 100')
  if (o.gracePeriodMs !== undefined && !nonNegative(o.gracePeriodMs))
    problems.push('gracePeriodMs must be a number of milliseconds, 0 or more')
  if (
    o.pageSize !== undefined &&
    !(Number.isInteger(o.pageSize) && o.pageSize >= 1 && o.pageSize <= 10_000)
  )
    problems.push('pageSize must be an integer from 1 to 10000')
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    problems.push('signal must be an AbortSignal')
  if (o.metrics !== undefined && !(isObject(o.metrics) && typeof o.metrics.record === 'function'))
    problems.push('metrics must be a MetricsSink (an object with record())')
  if (problems.length > 0) throw new InvalidConfigError('Sync options', problems)
  const valid = o as SyncOptions
  return {
    streamName: valid.streamName,
    tableName: valid.tableName,
    kinesis: valid.kinesis,
    dynamodb: valid.dynamodb,
    initial,
    intervalMs: valid.intervalMs ?? DEFAULT_SYNC_INTERVAL_MS,
    gracePeriodMs: valid.gracePeriodMs ?? DEFAULT_GRACE_PERIOD_MS,
    pageSize: valid.pageSize ?? DEFAULT_PAGE_SIZE,
    signal: valid.signal,
    logger: valid.logger ?? silentLogger,
    metrics: valid.metrics ?? noopMetrics,
    clock: valid.clock ?? systemClock,
    random: valid.random ?? Math.random,
  }
}
