// ListShards, every page, with backoff: the one way kine reads a stream's shard list
// (DescribeStream is limited to 10 calls/s per account and is never used).

import {
  ListShardsCommand,
  type KinesisClient,
  type Shard,
  type ShardFilter,
} from '@aws-sdk/client-kinesis'
import { awsErrorName, isRetryableAwsError, toKineError } from './aws-errors.js'
import { backoffDelay } from './backoff.js'
import { systemClock, type Clock } from './clock.js'
import { silentLogger, type Logger } from './logger.js'
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
  /** Attempts per page on throttles and transient errors before giving up. @defaultValue 10 */
  readonly maxAttempts?: number
  /** @defaultValue never */
  readonly signal?: AbortSignal
  /** @defaultValue systemClock */
  readonly clock?: Clock
  /** @defaultValue silent */
  readonly logger?: Logger
}

export const DEFAULT_LIST_SHARDS_PAGE_SIZE = 1000
const DEFAULT_MAX_ATTEMPTS = 10

/** Lists the stream's shards, following `NextToken` to the last page. */
export async function listShards(
  kinesis: KinesisClient,
  options: ListShardsOptions,
): Promise<Shard[]> {
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? silentLogger
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
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
    let nextToken: string | undefined
    try {
      do {
        // A NextToken request must name neither the stream nor the filter.
        const input =
          nextToken === undefined ? first : { NextToken: nextToken, MaxResults: first.MaxResults }
        let attempt = 0
        for (;;) {
          try {
            const page = await kinesis.send(
              new ListShardsCommand(input),
              sendOptions(options.signal),
            )
            shards.push(...(page.Shards ?? []))
            nextToken = page.NextToken
            break
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
          }
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
