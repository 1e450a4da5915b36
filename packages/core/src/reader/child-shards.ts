// The children of a shard that has ended: from the final GetRecords response's `ChildShards`
// (Kinesis, kinesis-local), else from ListShards (kinesalite sends none). A child's id always
// sorts after its parent's, so the listing asks only for shards after it; an emulator that ignores
// the filter returns every shard, and the parent links pick the children out either way.

import type { ChildShard as SdkChildShard, KinesisClient, Shard } from '@aws-sdk/client-kinesis'
import type { Clock } from '../clock.js'
import type { HashKeyRange } from '../hash-key.js'
import { listShards } from '../list-shards.js'
import type { Logger } from '../logger.js'
import type { MetricsSink } from '../metrics.js'

/** A shard that a finished shard was split or merged into. */
export interface ChildShard {
  readonly shardId: string
  /** Its parents: one after a split, two after a merge. */
  readonly parentShardIds: readonly string[]
  /** Its hash-key range, when the source gave it. */
  readonly hashKeyRange?: HashKeyRange
}

/**
 * What an entry of a final response's `ChildShards` lacks (`ShardId`, or `ParentShards`), or
 * undefined when every entry names itself and its parents. A child kept without its parents
 * could be read before them; one dropped would never be read: such an answer is asked again.
 */
export function malformedChildShards(
  children: readonly SdkChildShard[] | undefined,
): string | undefined {
  for (const child of children ?? []) {
    if (typeof child.ShardId !== 'string' || child.ShardId === '') return 'ShardId in ChildShards'
    if (!Array.isArray(child.ParentShards) || child.ParentShards.length === 0)
      return `ParentShards of child ${child.ShardId}`
  }
  return undefined
}

/**
 * The children named in a GetRecords response (checked by {@link malformedChildShards}), or
 * undefined when it names none (kinesalite: find them with ListShards).
 */
export function childShardsFromResponse(
  children: readonly SdkChildShard[] | undefined,
): ChildShard[] | undefined {
  if (children === undefined || children.length === 0) return undefined
  return children.map((child) =>
    withRange(
      { shardId: child.ShardId ?? '', parentShardIds: child.ParentShards ?? [] },
      child.HashKeyRange,
    ),
  )
}

function withRange(
  child: { shardId: string; parentShardIds: readonly string[] },
  range: { StartingHashKey?: string | undefined; EndingHashKey?: string | undefined } | undefined,
): ChildShard {
  if (range?.StartingHashKey === undefined || range.EndingHashKey === undefined) return child
  return {
    ...child,
    hashKeyRange: { startingHashKey: range.StartingHashKey, endingHashKey: range.EndingHashKey },
  }
}

/** The shards in `shards` whose parent (or adjacent parent, after a merge) is `shardId`. */
export function childrenOf(shards: readonly Shard[], shardId: string): ChildShard[] {
  const result: ChildShard[] = []
  for (const shard of shards) {
    if (shard.ShardId === undefined) continue
    if (shard.ParentShardId !== shardId && shard.AdjacentParentShardId !== shardId) continue
    const parentShardIds: string[] = []
    if (shard.ParentShardId !== undefined) parentShardIds.push(shard.ParentShardId)
    if (shard.AdjacentParentShardId !== undefined) parentShardIds.push(shard.AdjacentParentShardId)
    result.push(withRange({ shardId: shard.ShardId, parentShardIds }, shard.HashKeyRange))
  }
  return result
}

/** Where and how to list the children of a shard. */
interface ListChildShardsOptions {
  readonly streamName: string | undefined
  readonly streamARN: string | undefined
  readonly shardId: string
  readonly clock: Clock
  readonly logger: Logger
  readonly metrics: MetricsSink
  readonly signal: AbortSignal
}

/**
 * Finds the children of an ended shard with ListShards: first only the shards after it
 * (`ShardFilter` AFTER_SHARD_ID), then, if that shows none, an unfiltered listing, in case a
 * filter was not honoured as documented. Resolves to an empty list when the shard has no children.
 */
export async function listChildShards(
  kinesis: KinesisClient,
  options: ListChildShardsOptions,
): Promise<ChildShard[]> {
  const stream = {
    ...(options.streamName !== undefined ? { streamName: options.streamName } : {}),
    ...(options.streamARN !== undefined ? { streamARN: options.streamARN } : {}),
  }
  const common = {
    clock: options.clock,
    logger: options.logger,
    metrics: options.metrics,
    signal: options.signal,
  }
  const after = await listShards(kinesis, {
    ...stream,
    ...common,
    shardFilter: { Type: 'AFTER_SHARD_ID', ShardId: options.shardId },
  })
  const children = childrenOf(after, options.shardId)
  if (children.length > 0) return children
  return childrenOf(await listShards(kinesis, { ...stream, ...common }), options.shardId)
}
