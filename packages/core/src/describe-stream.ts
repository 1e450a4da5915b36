// DescribeStreamSummary with backoff: the one way kine asks whether a stream exists and how it is
// set up. An answer without `StreamDescriptionSummary` is malformed and asked again, never read
// as "no stream" nor as a stream with no settings.

import {
  DescribeStreamSummaryCommand,
  type DescribeStreamSummaryCommandOutput,
  type KinesisClient,
  type StreamDescriptionSummary,
} from '@aws-sdk/client-kinesis'
import { isRetryableAwsError, malformedResponseError, toKineError } from './aws-errors.js'
import { backoffDelay } from './backoff.js'
import { systemClock, type Clock } from './clock.js'
import { streamNameFromArn } from './list-shards.js'
import { silentLogger, type Logger } from './logger.js'
import { noopMetrics, type MetricsSink } from './metrics.js'
import { sendOptions } from './send-options.js'

export interface DescribeStreamSummaryOptions {
  /** The stream, by name; give this or `streamARN`. */
  readonly streamName?: string
  /** The stream, by ARN; give this or `streamName`. */
  readonly streamARN?: string
  /**
   * Attempts on throttles, transient errors and malformed answers before giving up; `Infinity`
   * to keep trying until `signal` aborts.
   * @defaultValue 10
   */
  readonly maxAttempts?: number
  /** @defaultValue never */
  readonly signal?: AbortSignal
  /** Waits out the backoff between attempts. @defaultValue systemClock */
  readonly clock?: Clock
  /** @defaultValue silent */
  readonly logger?: Logger
  /** Receives `MalformedResponses` (dimension StreamName). @defaultValue noopMetrics */
  readonly metrics?: MetricsSink
}

const DEFAULT_DESCRIBE_STREAM_ATTEMPTS = 10

/**
 * The stream's summary (status, ARN, retention, shard-level metrics, ...).
 * @throws a `KineError`: `STREAM_NOT_FOUND`, `ACCESS_DENIED` at once; a retryable `THROTTLED`,
 *   `TRANSIENT` or `MALFORMED_RESPONSE` after `maxAttempts`; the abort reason once `signal` aborts
 */
export async function describeStreamSummary(
  kinesis: KinesisClient,
  options: DescribeStreamSummaryOptions,
): Promise<StreamDescriptionSummary> {
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? silentLogger
  const metrics = options.metrics ?? noopMetrics
  const maxAttempts = options.maxAttempts ?? DEFAULT_DESCRIBE_STREAM_ATTEMPTS
  const stream = options.streamName ?? options.streamARN ?? '?'
  const streamLabel = streamNameFromArn(stream)
  const what = `stream "${stream}"`
  const input = {
    ...(options.streamName !== undefined ? { StreamName: options.streamName } : {}),
    ...(options.streamARN !== undefined ? { StreamARN: options.streamARN } : {}),
  }
  for (let attempt = 1; ; attempt++) {
    let output: DescribeStreamSummaryCommandOutput
    try {
      output = await kinesis.send(
        new DescribeStreamSummaryCommand(input),
        sendOptions(options.signal),
      )
    } catch (error) {
      options.signal?.throwIfAborted()
      const kineError = toKineError(error, what)
      if (!isRetryableAwsError(error) || attempt >= maxAttempts) throw kineError
      const wait = backoffDelay(attempt - 1, { baseMs: 200, capMs: 5_000 })
      logger.warn(
        { err: kineError, operation: 'DescribeStreamSummary', stream: streamLabel, attempt, wait },
        'DescribeStreamSummary failed, retrying',
      )
      await clock.sleep(wait, options.signal)
      continue
    }
    const summary = output.StreamDescriptionSummary
    if (typeof summary === 'object' && summary !== null) return summary
    const error = malformedResponseError('DescribeStreamSummary', 'StreamDescriptionSummary', what)
    metrics.record('MalformedResponses', 1, 'Count', { StreamName: streamLabel })
    if (attempt >= maxAttempts) throw error
    const wait = backoffDelay(attempt - 1, { baseMs: 200, capMs: 5_000 })
    logger.warn(
      { err: error, operation: 'DescribeStreamSummary', stream: streamLabel, attempt, wait },
      'malformed DescribeStreamSummary response, asking again',
    )
    await clock.sleep(wait, options.signal)
  }
}
