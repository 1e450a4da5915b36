// The lineage of a stream's shards as an indented tree: each child under its parent; a shard made
// by a merge sits under its ParentShardId and is referred to from its AdjacentParentShardId.

import { formatShare } from './format.js'
import type { ShardInfo } from './stream-report.js'

/** Renders the shards' lineage, one shard per line, roots first in listing order. */
export function renderShardTree(shards: readonly ShardInfo[]): string {
  const byId = new Map(shards.map((s) => [s.shardId, s]))
  const children = new Map<string, ShardInfo[]>()
  const adopted = new Map<string, ShardInfo[]>()
  const add = (map: Map<string, ShardInfo[]>, key: string, shard: ShardInfo): void => {
    const list = map.get(key) ?? []
    list.push(shard)
    map.set(key, list)
  }
  const roots: ShardInfo[] = []
  for (const shard of shards) {
    if (shard.parentShardId !== null && byId.has(shard.parentShardId)) {
      add(children, shard.parentShardId, shard)
    } else {
      roots.push(shard)
    }
    if (shard.adjacentParentShardId !== null && byId.has(shard.adjacentParentShardId)) {
      add(adopted, shard.adjacentParentShardId, shard)
    }
  }

  const lines: string[] = []
  const label = (shard: ShardInfo): string => {
    const notes = [shard.open ? 'open' : 'closed', `keys ${formatShare(shard.hashKeyShare)}`]
    // A parent that aged out of the stream is no longer listed: say so rather than hide the link.
    if (shard.parentShardId !== null && !byId.has(shard.parentShardId)) {
      notes.push(`parent ${shard.parentShardId} expired`)
    }
    if (shard.adjacentParentShardId !== null) {
      notes.push(`merged with ${shard.adjacentParentShardId}`)
    }
    return `${shard.shardId} (${notes.join(', ')})`
  }
  const walk = (shard: ShardInfo, prefix: string, seen: Set<string>): void => {
    const kids: { line: string; shard?: ShardInfo }[] = [
      ...(children.get(shard.shardId) ?? []).map((s) => ({ line: label(s), shard: s })),
      ...(adopted.get(shard.shardId) ?? []).map((s) => ({
        line: `${s.shardId} (merged; shown under ${s.parentShardId ?? '?'})`,
      })),
    ]
    kids.forEach((kid, i) => {
      const last = i === kids.length - 1
      lines.push(`${prefix}${last ? '└── ' : '├── '}${kid.line}`)
      // `seen` guards against a malformed listing whose links form a cycle.
      if (kid.shard !== undefined && !seen.has(kid.shard.shardId)) {
        seen.add(kid.shard.shardId)
        walk(kid.shard, `${prefix}${last ? '    ' : '│   '}`, seen)
      }
    })
  }
  for (const root of roots) {
    lines.push(label(root))
    walk(root, '', new Set([root.shardId]))
  }
  return lines.join('\n')
}
