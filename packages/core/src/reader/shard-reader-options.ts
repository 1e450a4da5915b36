// The ShardReader's options: one interface, the defaults as named exports, applied in one place
// and checked up front, so a mistake surfaces when the reader is built with every problem listed.

import type { KinesisClient } from '@aws-sdk/client-kinesis'
import { systemClock, type Clock } from '../clock.js'
import { InvalidConfigError } from '../errors.js'
import { streamNameFromArn } from '../list-shards.js'
import { parseHashKeyRange, type HashKeyRange } from '../hash-key.js'
import { silentLogger, type Logger } from '../logger.js'
import { noopMetrics, type MetricsSink } from '../metrics.js'
import { OptionsValidator } from '../validate.js'
import { positionProblems, type ShardPosition } from './iterator-position.js'
import {
  limitsProblems,
  resolveLimits,
  type ReaderLimits,
  type ResolvedReaderLimits,
} from './throttle.js'

/** GetRecords `Limit`: the Kinesis maximum, 10,000 records per call. */
const DEFAULT_GET_RECORDS_LIMIT = 10_000
/** Wait after an empty batch that is caught up (MillisBehindLatest 0) before reading again. */
const DEFAULT_IDLE_WAIT_MS = 200
/** How long one attempt of a Kinesis call may go without a response before it is aborted and retried. */
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000
/** First wait before retrying a failed call (jittered, doubling per consecutive failure). */
export const DEFAULT_RETRY_BASE_DELAY_MS = 200
/** Longest wait between retries. */
const DEFAULT_RETRY_MAX_DELAY_MS = 10_000
/** Consecutive retryable failures tolerated before the reader gives up: never. */
export const DEFAULT_MAX_RETRIES: number = Infinity

/** Options of {@link ShardReader}. */
export interface ShardReaderOptions {
  /** The caller's Kinesis client: used, never built, configured or destroyed here. */
  readonly client: KinesisClient
  /** The stream's name. Give this, `streamARN` or both (kinesalite needs the name). */
  readonly streamName?: string
  /** The stream's ARN. Give this, `streamName` or both. */
  readonly streamARN?: string
  /** The shard to read. */
  readonly shardId: string
  /** Where to start. */
  readonly position: ShardPosition
  /**
   * The shard's hash-key range. When given, KPL user records whose hash key lies outside it are
   * dropped, as the KCL does after a reshard.
   * @defaultValue none: no user record is dropped
   */
  readonly hashKeyRange?: HashKeyRange
  /**
   * GetRecords `Limit`, 1 to 10,000: the most Kinesis records (an aggregate counts as one) per
   * batch, which bounds the reader's memory.
   * @defaultValue 10,000 ({@link DEFAULT_GET_RECORDS_LIMIT})
   */
  readonly limit?: number
  /**
   * Per-shard call and byte limits, or `'unlimited'` (emulators, benchmarks).
   * @defaultValue the Kinesis limits: 5 GetRecords and 5 GetShardIterator calls/s, 2 MB/s
   */
  readonly limits?: ReaderLimits | 'unlimited'
  /**
   * Milliseconds to wait after an empty batch with MillisBehindLatest 0 before the next call.
   * When behind, the reader goes as fast as `limits` allow.
   * @defaultValue 200 ({@link DEFAULT_IDLE_WAIT_MS})
   */
  readonly idleWaitMs?: number
  /**
   * Milliseconds one attempt may wait for its response before it is aborted and retried;
   * `Infinity` for no timeout.
   * @defaultValue 10,000 ({@link DEFAULT_REQUEST_TIMEOUT_MS})
   */
  readonly requestTimeoutMs?: number
  /**
   * First backoff after a retryable failure; later ones double, with jitter.
   * @defaultValue 200 ({@link DEFAULT_RETRY_BASE_DELAY_MS})
   */
  readonly retryBaseDelayMs?: number
  /**
   * Cap of the backoff.
   * @defaultValue 10,000 ({@link DEFAULT_RETRY_MAX_DELAY_MS})
   */
  readonly retryMaxDelayMs?: number
  /**
   * Consecutive retryable failures (throttles, 5xx, network errors, timeouts, malformed
   * responses, a shard said not to exist that ListShards still lists) after which the reader
   * throws the last one. A success resets the count.
   * @defaultValue Infinity ({@link DEFAULT_MAX_RETRIES}): a worker keeps trying while it holds the lease
   */
  readonly maxRetries?: number
  /** @defaultValue systemClock */
  readonly clock?: Clock
  /** @defaultValue silentLogger */
  readonly logger?: Logger
  /**
   * Receives GetRecords.Calls (every attempt), GetRecords.Throttled, GetRecords.Errors,
   * ExpiredIterators, MalformedResponses and MillisBehindLatest, with StreamName and ShardId
   * dimensions (ListShards' MalformedResponses with StreamName only).
   * @defaultValue noopMetrics
   */
  readonly metrics?: MetricsSink
  /**
   * Stops the reader: an in-flight call is aborted, a wait is cut short, and the read loop rejects
   * with the signal's reason (an `AbortedError` when the reason is not an Error).
   * @defaultValue none
   */
  readonly signal?: AbortSignal
  /**
   * Random source in [0, 1) for backoff jitter (tests make it predictable).
   * @defaultValue Math.random
   */
  readonly random?: () => number
}

/** The options with every default applied. */
export interface ResolvedShardReaderOptions {
  readonly client: KinesisClient
  readonly streamName: string | undefined
  readonly streamARN: string | undefined
  /** The stream name for logs and the StreamName dimension (from the ARN when no name is given). */
  readonly streamLabel: string
  readonly shardId: string
  readonly position: ShardPosition
  readonly hashKeyRange: HashKeyRange | undefined
  readonly limit: number
  readonly limits: ResolvedReaderLimits
  readonly idleWaitMs: number
  readonly requestTimeoutMs: number
  readonly retryBaseDelayMs: number
  readonly retryMaxDelayMs: number
  readonly maxRetries: number
  readonly clock: Clock
  readonly logger: Logger
  readonly metrics: MetricsSink
  readonly signal: AbortSignal | undefined
  readonly random: () => number
}

const LOGGER_METHODS = ['trace', 'debug', 'info', 'warn', 'error', 'child'] as const

/**
 * Validates `options` (throwing one {@link InvalidConfigError} that lists every problem) and
 * applies the defaults.
 */
export function resolveShardReaderOptions(options: ShardReaderOptions): ResolvedShardReaderOptions {
  const v = new OptionsValidator('shard reader options', options)
    .withMethods('client', ['send'])
    .nonEmptyString('streamName', { optional: true })
    .nonEmptyString('streamARN', { optional: true })
    .nonEmptyString('shardId')
    .number('limit', { min: 1, max: 10_000, integer: true, optional: true })
    .number('idleWaitMs', { min: 0, optional: true })
    .number('retryBaseDelayMs', { min: 1, optional: true })
    .number('retryMaxDelayMs', { min: 1, optional: true })
    .withMethods('clock', ['now', 'wallNow', 'sleep'], { optional: true })
    .withMethods('logger', LOGGER_METHODS, { optional: true })
    .withMethods('metrics', ['record'], { optional: true })
    .abortSignal('signal', { optional: true })
    .func('random', { optional: true })
  const raw = (key: string): unknown => v.value(key)
  // Not an object: the validator has said so once; the checks below would only repeat it.
  if (typeof options === 'object' && (options as unknown) !== null) {
    v.check(
      raw('streamName') !== undefined || raw('streamARN') !== undefined,
      'streamName, streamARN: give at least one',
    )
    for (const problem of positionProblems(raw('position'))) v.add(problem)
    for (const problem of limitsProblems(raw('limits'))) v.add(problem)
    const timeout = raw('requestTimeoutMs')
    v.check(
      timeout === undefined ||
        (typeof timeout === 'number' && timeout > 0 && !Number.isNaN(timeout)),
      'requestTimeoutMs: expected a positive number of milliseconds or Infinity',
    )
    const maxRetries = raw('maxRetries')
    v.check(
      maxRetries === undefined ||
        maxRetries === Infinity ||
        (typeof maxRetries === 'number' && Number.isSafeInteger(maxRetries) && maxRetries >= 0),
      'maxRetries: expected a non-negative integer or Infinity',
    )
    const base = raw('retryBaseDelayMs')
    const cap = raw('retryMaxDelayMs')
    v.check(
      !(typeof base === 'number' && typeof cap === 'number' && base > cap),
      'retryBaseDelayMs: must not exceed retryMaxDelayMs',
    )
    const range = raw('hashKeyRange')
    if (range !== undefined) {
      try {
        parseHashKeyRange(range as HashKeyRange)
      } catch (error) {
        if (!(error instanceof InvalidConfigError)) throw error
        for (const problem of error.problems) v.add(`hashKeyRange: ${problem}`)
      }
    }
  }
  v.throwIfInvalid()

  const streamName = options.streamName
  const streamARN = options.streamARN
  return {
    client: options.client,
    streamName,
    streamARN,
    streamLabel: streamName ?? streamNameFromArn(streamARN ?? ''),
    shardId: options.shardId,
    position: options.position,
    hashKeyRange: options.hashKeyRange,
    limit: options.limit ?? DEFAULT_GET_RECORDS_LIMIT,
    limits: resolveLimits(options.limits),
    idleWaitMs: options.idleWaitMs ?? DEFAULT_IDLE_WAIT_MS,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    retryBaseDelayMs: options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS,
    retryMaxDelayMs: options.retryMaxDelayMs ?? DEFAULT_RETRY_MAX_DELAY_MS,
    maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    metrics: options.metrics ?? noopMetrics,
    signal: options.signal,
    random: options.random ?? Math.random,
  }
}
