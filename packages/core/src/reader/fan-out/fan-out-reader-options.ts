// The FanOutShardReader's options: the ShardReader's (less the polling knobs), plus the consumer to
// read as. Validated by the ShardReader's own resolver, so both readers accept and reject the same.

import { InvalidConfigError } from '../../errors.js'
import {
  resolveShardReaderOptions,
  type ResolvedShardReaderOptions,
  type ShardReaderOptions,
} from '../shard-reader-options.js'

/** How long a subscription may go without an event before it is closed and opened again. */
export const DEFAULT_EVENT_TIMEOUT_MS = 30_000

/** Options of {@link FanOutShardReader}. */
export interface FanOutShardReaderOptions extends Omit<
  ShardReaderOptions,
  'limit' | 'limits' | 'idleWaitMs' | 'streamARN'
> {
  /**
   * The registered consumer to read as (see `ensureStreamConsumer`). The stream's ARN is taken
   * from it, so `streamName` is optional.
   */
  readonly consumerARN: string
  /**
   * Milliseconds a subscription may go without an event (Kinesis sends one every few seconds
   * even when the shard is quiet) before it is taken as dead, closed and opened again.
   * Not counted while the caller is busy with a batch.
   * @defaultValue 30,000 ({@link DEFAULT_EVENT_TIMEOUT_MS})
   */
  readonly eventTimeoutMs?: number
}

/** The options with every default applied. */
export interface ResolvedFanOutShardReaderOptions extends ResolvedShardReaderOptions {
  readonly consumerARN: string
  readonly eventTimeoutMs: number
}

const CONSUMER_ARN = /^arn:[^:]+:kinesis:[^:]*:[^:]*:stream\/[^/]+\/consumer\/[^/]+$/

/** The stream ARN inside a consumer ARN (`arn:...:stream/NAME/consumer/CONSUMER:TS`). */
export function streamArnOfConsumer(consumerARN: string): string {
  const at = consumerARN.indexOf('/consumer/')
  return at === -1 ? consumerARN : consumerARN.slice(0, at)
}

/**
 * Validates `options` (throwing one {@link InvalidConfigError} that lists every problem) and
 * applies the defaults.
 */
export function resolveFanOutShardReaderOptions(
  options: FanOutShardReaderOptions,
): ResolvedFanOutShardReaderOptions {
  const problems: string[] = []
  const consumerARN: unknown = (options as { consumerARN?: unknown } | null)?.consumerARN
  if (typeof consumerARN !== 'string' || !CONSUMER_ARN.test(consumerARN))
    problems.push(
      'consumerARN: expected a stream consumer ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME/consumer/NAME:TIMESTAMP)',
    )
  const eventTimeoutMs: unknown = (options as { eventTimeoutMs?: unknown } | null)?.eventTimeoutMs
  if (
    eventTimeoutMs !== undefined &&
    !(typeof eventTimeoutMs === 'number' && eventTimeoutMs > 0 && !Number.isNaN(eventTimeoutMs))
  )
    problems.push('eventTimeoutMs: expected a positive number of milliseconds or Infinity')

  let resolved: ResolvedShardReaderOptions | undefined
  try {
    resolved = resolveShardReaderOptions({
      ...options,
      streamARN: streamArnOfConsumer(typeof consumerARN === 'string' ? consumerARN : ''),
    })
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error
    problems.push(...error.problems.filter((p) => !p.startsWith('streamARN')))
  }
  if (problems.length > 0 || resolved === undefined)
    throw new InvalidConfigError('fan-out shard reader options', problems)
  return {
    ...resolved,
    consumerARN: consumerARN as string,
    eventTimeoutMs: (eventTimeoutMs as number | undefined) ?? DEFAULT_EVENT_TIMEOUT_MS,
  }
}
