// Signs that a ListShards listing is malformed or incomplete, although every page came back. Sync
// plans nothing from such a listing (docs/lease-protocol.md, "Answers that prove nothing": never
// conclude from one odd answer): a shard missing from it would look aged out, and its lease would
// be ended and deleted.
//
// Each check rests on an invariant of Kinesis that aging out never breaks, so no legitimate
// listing is refused: a stream always has open shards, and they tile the whole hash-key space
// [0, 2^128 − 1] (a split or merge closes parents and opens children covering the same keys at
// once); only closed shards age out, one retention period (at least 24 h) after they close.

import { MAX_HASH_KEY, parseHashKey } from '@kine/core/lease-table'
import type { ShardInfo } from './lineage.js'
import type { PlannedLease } from './planned-lease.js'

/**
 * Everything odd about a complete listing, as sentences; empty when it can be planned from.
 * @param previouslyOpen shards open in this Sync's previous listing, taken less than a day ago
 */
export function listingProblems(
  shards: readonly ShardInfo[],
  leases: readonly PlannedLease[],
  previouslyOpen: ReadonlySet<string> = new Set(),
): string[] {
  const problems: string[] = []
  const ids = new Set<string>()
  for (const shard of shards) {
    if (ids.has(shard.shardId)) problems.push(`the listing names ${shard.shardId} twice`)
    ids.add(shard.shardId)
  }

  const open = shards.filter((s) => !s.closed)
  if (open.length === 0) {
    const unfinished = leases.filter((l) => l.checkpoint !== 'SHARD_END').length
    problems.push(
      `the listing has no open shard (${shards.length} closed), but a stream always has one` +
        (unfinished > 0 ? `; ${unfinished} leases are not at SHARD_END` : ''),
    )
  } else {
    const hole = uncoveredHashKeys(open)
    if (typeof hole === 'string') problems.push(hole)
    else if (hole !== undefined) {
      // An open shard is missing: its keys belong to no open shard in this listing.
      problems.push(
        `no open shard covers hash keys ${hole.start}..${hole.end}: an open shard is missing from the listing`,
      )
    }
  }

  const vanished = [...previouslyOpen].filter((id) => !ids.has(id)).sort()
  if (vanished.length > 0) {
    // An open shard must close and then wait out the retention period before it can leave.
    problems.push(
      `${vanished.join(', ')} ${vanished.length === 1 ? 'was' : 'were'} open in the previous listing and ${vanished.length === 1 ? 'is' : 'are'} missing from this one`,
    )
  }
  return problems
}

/** The first range of hash keys no open shard covers; a sentence when a range does not parse. */
function uncoveredHashKeys(
  open: readonly ShardInfo[],
): { start: bigint; end: bigint } | string | undefined {
  const ranges: { start: bigint; end: bigint }[] = []
  for (const shard of open) {
    const start = parseHashKey(shard.startingHashKey)
    const end = parseHashKey(shard.endingHashKey)
    if (start === undefined || end === undefined || start > end) {
      return `${shard.shardId} has a hash key range that is not one: ${shard.startingHashKey}..${shard.endingHashKey}`
    }
    ranges.push({ start, end })
  }
  ranges.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
  let next = 0n
  for (const r of ranges) {
    if (r.start > next) return { start: next, end: r.start - 1n }
    if (r.end + 1n > next) next = r.end + 1n
  }
  return next <= MAX_HASH_KEY ? { start: next, end: MAX_HASH_KEY } : undefined
}
