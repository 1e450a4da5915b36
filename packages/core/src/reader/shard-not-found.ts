// What a ResourceNotFoundException about a shard means, judged from a complete, unfiltered
// ListShards and never from the message (which differs by engine): the shard aged out of the
// stream (its lease can end), or the answer was a fault to retry.

import type { Shard } from '@aws-sdk/client-kinesis'
import { KineError, ResourceNotFoundError } from '../errors.js'
import type { FinalVerdict } from './retry-policy.js'

/** The call that was refused, for the verdict's message. */
export interface NotFoundContext {
  readonly shardId: string
  /** The refused operation, e.g. `GetShardIterator`. */
  readonly operation: string
  /** The shard and stream, as messages name them. */
  readonly what: string
  /** The refusal's own message. */
  readonly detail: string
  readonly cause: unknown
}

/**
 * `SHARD_NOT_FOUND` only when the complete listing `listed` lacks the shard and shows a shard
 * newer than it; a listed shard, or one newer than every listed shard, is retried.
 */
export function notFoundVerdict(listed: readonly Shard[], c: NotFoundContext): FinalVerdict {
  if (listed.some((shard) => shard.ShardId === c.shardId)) {
    return {
      action: 'retry',
      throttled: false,
      error: new KineError(
        'TRANSIENT',
        `${c.operation} said ${c.what} does not exist, but ListShards lists it (${c.detail})`,
        { cause: c.cause },
      ),
    }
  }
  // Shard ids grow with every reshard, and a shard ages out only after shards newer than it
  // exist. One newer than every listed shard is a child the listing does not show yet (eventual
  // consistency), never one that aged out: ending its lease would skip all of it.
  if (
    !listed.some((shard) => shard.ShardId !== undefined && shardIdAfter(shard.ShardId, c.shardId))
  ) {
    return {
      action: 'retry',
      throttled: false,
      error: new KineError(
        'TRANSIENT',
        `${c.operation} said ${c.what} does not exist, and ListShards lists no shard newer than it: not listed yet (${c.detail})`,
        { cause: c.cause },
      ),
    }
  }
  return {
    action: 'fail',
    error: new ResourceNotFoundError(
      'SHARD_NOT_FOUND',
      `${c.what} does not exist: ListShards does not list it (${c.operation}: ${c.detail})`,
      { cause: c.cause },
    ),
  }
}

/** True when shard id `a` was created after `b` (ids end in a counter that grows per stream). */
function shardIdAfter(a: string, b: string): boolean {
  const na = /(\d+)$/.exec(a)?.[1]
  const nb = /(\d+)$/.exec(b)?.[1]
  if (na === undefined || nb === undefined) return a > b
  return BigInt(na) > BigInt(nb)
}
