// ListShards, every page, with backoff: the one way kine reads a stream's shard list
// (DescribeStream is limited to 10 calls/s per account and is never used). A page that lacks
// `Shards`, or hands back a NextToken already followed, is malformed: that page is asked again,
// and a listing is only ever returned whole, never short.

import {
  ListShardsCommand,
  type KinesisClient,
  type ListShardsCommandOutput,
  type Shard,
  type ShardFilter,
} from '@aws-sdk/client-kinesis'
import {
  awsErrorName,
  isRetryableAwsError,
  malformedResponseError,
  toKineError,
} from './aws-errors.js'
import { backoffDelay } from './backoff.js'
import { systemClock, type Clock } from './clock.js'
import { silentLogger, type Logger } from './logger.js'
import { noopMetrics, type MetricsSink } from './metrics.js'
import { sendOptions } from './send-options.js'

export interface ListShardsOptions {
  /** The stream, by name; give this or `streamARN`. */
  readonly streamName?: string
  /** The stream, by ARN; give this or `streamName`. */
  readonly streamARN?: string
  /**
   * Narrows the listing. Leave it out wherever a complete listing matters (lineage, clean-up):
   * a filter can hide a closed parent. @defaultValue no filter: every shard still in the stream
   */
  readonly shardFilter?: ShardFilter
  /** `MaxResults` per page (1 to 10,000). @defaultValue 1000 */
  readonly pageSize?: number
  /**
   * Attempts per page on throttles, transient errors and malformed pages before giving up.
   * @defaultValue 10
   */
  readonly maxAttempts?: number
  /** @defaultValue never */
  readonly signal?: AbortSignal
  /** @defaultValue systemClock */
  readonly clock?: Clock
  /** @defaultValue silent */
  readonly logger?: Logger
  /**
   * Receives `MalformedResponses` (dimension StreamName) for each malformed page.
   * @defaultValue noopMetrics
   */
  readonly metrics?: MetricsSink
}

const DEFAULT_LIST_SHARDS_PAGE_SIZE = 1000
const DEFAULT_MAX_ATTEMPTS = 10

/**
 * Lists the stream's shards, following `NextToken` to the last page.
 * @throws a `KineError`: `STREAM_NOT_FOUND`, `ACCESS_DENIED`, or a retryable `THROTTLED`,
 *   `TRANSIENT` or `MALFORMED_RESPONSE` once a page failed `maxAttempts` times
 */
export async function listShards(
  kinesis: KinesisClient,
  options: ListShardsOptions,
): Promise<Shard[]> {
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? silentLogger
  const metrics = options.metrics ?? noopMetrics
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
  const streamLabel = streamNameFromArn(options.streamName ?? options.streamARN ?? '?')
  const what = `stream "${options.streamName ?? options.streamARN ?? '?'}"`
  const first = {
    ...(options.streamName !== undefined ? { StreamName: options.streamName } : {}),
    ...(options.streamARN !== undefined ? { StreamARN: options.streamARN } : {}),
    ...(options.shardFilter !== undefined ? { ShardFilter: options.shardFilter } : {}),
    MaxResults: options.pageSize ?? DEFAULT_LIST_SHARDS_PAGE_SIZE,
  }
  let restarts = 0
  for (;;) {
    const shards: Shard[] = []
    // Every token followed in this listing: one handed back again would loop for ever.
    const followed = new Set<string>()
    let nextToken: string | undefined
    try {
      do {
        // A NextToken request must name neither the stream nor the filter.
        const input =
          nextToken === undefined ? first : { NextToken: nextToken, MaxResults: first.MaxResults }
        if (nextToken !== undefined) followed.add(nextToken)
        let attempt = 0
        for (;;) {
          let page: ListShardsCommandOutput
          try {
            page = await kinesis.send(new ListShardsCommand(input), sendOptions(options.signal))
          } catch (error) {
            options.signal?.throwIfAborted()
            if (
              awsErrorName(error) === 'ExpiredNextTokenException' ||
              !isRetryableAwsError(error) ||
              ++attempt >= maxAttempts
            )
              throw error
            const wait = backoffDelay(attempt - 1, { baseMs: 200, capMs: 5_000 })
            logger.debug({ err: error, attempt, wait }, 'ListShards failed, retrying')
            await clock.sleep(wait, options.signal)
            continue
          }
          const missing = malformedPage(page, followed)
          if (missing === undefined) {
            shards.push(...(page.Shards ?? []))
            nextToken = page.NextToken
            break
          }
          // Never a short listing: what it lacks could be the very shard a caller looks for.
          const error = malformedResponseError('ListShards', missing, what)
          metrics.record('MalformedResponses', 1, 'Count', { StreamName: streamLabel })
          if (++attempt >= maxAttempts) throw error
          const wait = backoffDelay(attempt - 1, { baseMs: 200, capMs: 5_000 })
          logger.warn(
            { err: error, operation: 'ListShards', stream: streamLabel, attempt, wait },
            'malformed ListShards page, asking for it again',
          )
          await clock.sleep(wait, options.signal)
        }
      } while (nextToken !== undefined)
      return shards
    } catch (error) {
      options.signal?.throwIfAborted()
      // A token lives 300 s: a listing that slow starts over rather than return a partial list.
      if (awsErrorName(error) === 'ExpiredNextTokenException' && ++restarts < 3) continue
      throw toKineError(error, what)
    }
  }
}

/** What a page lacks (`Shards`, or a NextToken not already followed), or undefined if sound. */
function malformedPage(
  page: ListShardsCommandOutput,
  followed: ReadonlySet<string>,
): string | undefined {
  if (!Array.isArray(page.Shards)) return 'Shards'
  if (page.NextToken !== undefined && followed.has(page.NextToken))
    return 'a new NextToken (it handed back one already followed)'
  return undefined
}

/** `arn:aws:kinesis:us-east-1:123456789012:stream/orders` → `orders` (anything else as it is). */
export function streamNameFromArn(arn: string): string {
  const slash = arn.lastIndexOf(':stream/')
  return slash === -1 ? arn : arn.slice(slash + ':stream/'.length)
}
