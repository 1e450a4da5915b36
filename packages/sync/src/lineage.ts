// The stream's shard graph as one complete ListShards listing shows it: who is open, who
// descends from whom. Sync decides creations and clean-up from this and nothing else.

import type { Shard } from '@aws-sdk/client-kinesis'
import { KineError } from '@kine/core'

/** One shard of a complete, unfiltered listing, reduced to what lineage needs. */
export interface ShardInfo {
  readonly shardId: string
  /** Parent ids: one after a split, two after a merge (the adjacent parent second). */
  readonly parentShardIds: readonly string[]
  readonly startingHashKey: string
  readonly endingHashKey: string
  /** A closed shard has an ending sequence number: it takes no new records. */
  readonly closed: boolean
}

/** Parent/child relations of every shard in one listing. */
export interface Lineage {
  readonly shards: ReadonlyMap<string, ShardInfo>
  /** Children by parent id; parents absent from the listing (aged out) are keys too. */
  readonly children: ReadonlyMap<string, readonly string[]>
}

/** Converts ListShards' SDK shapes; a shard without an id or hash range is a malformed response. */
export function shardInfo(shard: Shard): ShardInfo {
  const { ShardId, ParentShardId, AdjacentParentShardId, HashKeyRange, SequenceNumberRange } = shard
  if (!ShardId || !HashKeyRange?.StartingHashKey || !HashKeyRange.EndingHashKey) {
    throw new KineError(
      'MALFORMED_RESPONSE',
      `ListShards returned a shard without an id or hash key range: ${JSON.stringify(shard)}`,
    )
  }
  const parentShardIds = [ParentShardId, AdjacentParentShardId].filter((p): p is string => !!p)
  return {
    shardId: ShardId,
    parentShardIds,
    startingHashKey: HashKeyRange.StartingHashKey,
    endingHashKey: HashKeyRange.EndingHashKey,
    closed: SequenceNumberRange?.EndingSequenceNumber !== undefined,
  }
}

export function buildLineage(shards: readonly ShardInfo[]): Lineage {
  const byId = new Map<string, ShardInfo>()
  const children = new Map<string, string[]>()
  for (const shard of shards) {
    byId.set(shard.shardId, shard)
    for (const parent of shard.parentShardIds) {
      const list = children.get(parent)
      if (list) list.push(shard.shardId)
      else children.set(parent, [shard.shardId])
    }
  }
  return { shards: byId, children }
}

/** Every shard that descends from `shardId` (children, their children, ...), from the listing. */
export function descendants(lineage: Lineage, shardId: string): Set<string> {
  const found = new Set<string>()
  const queue = [...(lineage.children.get(shardId) ?? [])]
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    if (found.has(next)) continue
    found.add(next)
    queue.push(...(lineage.children.get(next) ?? []))
  }
  return found
}
