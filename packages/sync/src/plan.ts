// One Sync pass, decided as data: which leases to create, link, end, and which finished ones may be
// deleted. Pure, so every lineage rule (rules 7, 8 and 11 of docs/lease-protocol.md) is tested
// without I/O.

import { listingProblems } from './listing-check.js'
import type { InitialSentinel } from '@kine/core/lease-table'
import { DEFAULT_SHARD_GONE_CONFIRM_MS } from './options.js'
import { buildLineage, descendants, type Lineage, type ShardInfo } from './lineage.js'
import type { PlannedLease } from './planned-lease.js'

/**
 * How a pass judges that a shard is gone (rule 8 of docs/lease-protocol.md: two complete listings
 * some time apart agree).
 */
interface PlanOptions {
  /** Wall-clock time of this pass's listing, epoch ms. @defaultValue undefined: no absence is confirmed */
  readonly now?: number
  /**
   * How long after the first listing without a shard (the lease's `shardAbsentSince`) a later one
   * must still miss it before its lease is ended or deleted. @defaultValue 10_000
   */
  readonly shardGoneConfirmMs?: number
  /**
   * Shards open in this Sync's previous listing (taken less than a day ago): an open shard cannot
   * vanish before it has closed and aged out, so one missing now means the listing is incomplete.
   * @defaultValue none
   */
  readonly previouslyOpen?: ReadonlySet<string>
}

export interface NewLease {
  readonly shardId: string
  readonly checkpoint: InitialSentinel
  readonly parentShardIds: readonly string[]
  readonly childShardIds: readonly string[]
  readonly startingHashKey: string
  readonly endingHashKey: string
}

interface SyncPlan {
  /**
   * Leases to create, in generations: every parent's generation comes before its children's, so
   * a crash between two writes never leaves a child leased while its parent is still to be
   * created (the parent would then never be created: rule 11 of docs/lease-protocol.md).
   */
  readonly create: readonly (readonly NewLease[])[]
  /** Parent links missing from existing leases. */
  readonly linkParents: readonly {
    readonly shardId: string
    readonly parentShardIds: readonly string[]
  }[]
  /** Child links missing from existing leases of closed shards. */
  readonly linkChildren: readonly {
    readonly shardId: string
    readonly childShardIds: readonly string[]
  }[]
  /**
   * Unheld, unfinished leases whose shard has left the stream (aged out), confirmed by two
   * listings (their `shardAbsentSince` is old enough): set them to SHARD_END.
   */
  readonly end: readonly string[]
  /**
   * Finished, unheld leases that nothing needs any more: deletable once the grace period passes.
   * One whose shard is gone is here only once two listings agree (as for `end`).
   */
  readonly deletable: readonly string[]
  /** Unheld leases whose shard this listing misses for the first time: record `shardAbsentSince`. */
  readonly markAbsent: readonly string[]
  /** Leases marked absent whose shard this listing shows again: remove the mark they carry. */
  readonly clearAbsent: readonly { readonly shardId: string; readonly since: number }[]
  /**
   * Why nothing was planned: the listing looks malformed or incomplete (no open shard, a hole in
   * the open shards' hash-key range, ...). Absent when the pass planned normally.
   */
  readonly skipped?: string
}

const EMPTY_PLAN = {
  create: [],
  linkParents: [],
  linkChildren: [],
  end: [],
  deletable: [],
  markAbsent: [],
  clearAbsent: [],
} as const satisfies SyncPlan

const STARTING_SENTINELS: ReadonlySet<string> = new Set(['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'])

/** A lease has started once its checkpoint moved past where it began. */
function started(lease: PlannedLease): boolean {
  return !STARTING_SENTINELS.has(lease.checkpoint)
}

/**
 * Plans a pass from the leases read *before* the listing was taken (so every lease seen was
 * created before the listing began, and its shard is in the listing unless it really left the
 * stream) and a complete, unfiltered listing.
 */
export function planSync(
  shards: readonly ShardInfo[],
  leases: readonly PlannedLease[],
  initial: InitialSentinel,
  opaqueLeaseKeys: readonly string[] = [],
  options: PlanOptions = {},
): SyncPlan {
  // Never plan from an odd listing: ending or deleting on the strength of one is irreversible.
  const problems = listingProblems(shards, leases, options.previouslyOpen)
  if (problems.length > 0) return { ...EMPTY_PLAN, skipped: problems.join('; ') }
  const confirmMs = options.shardGoneConfirmMs ?? DEFAULT_SHARD_GONE_CONFIRM_MS
  const lineage = buildLineage(shards)
  const leaseById = new Map(leases.map((l) => [l.leaseKey, l]))
  // Keys of items that exist but did not parse: they occupy their shard (no re-create), nothing more.
  const occupied = new Set([...leaseById.keys(), ...opaqueLeaseKeys])
  const firstPass = occupied.size === 0

  const hasLeasedDescendant = (shardId: string): boolean => {
    for (const d of descendants(lineage, shardId)) if (occupied.has(d)) return true
    return false
  }

  // Rule 11: a shard gets a lease only if neither it nor any descendant has one.
  const wanted = new Set<string>()
  for (const shard of shards) {
    if (occupied.has(shard.shardId) || hasLeasedDescendant(shard.shardId)) continue
    // A LATEST first pass starts at the tip: closed shards are history it was asked to skip.
    if (firstPass && initial === 'LATEST' && shard.closed) continue
    wanted.add(shard.shardId)
  }
  const checkpoint: InitialSentinel = firstPass ? initial : 'TRIM_HORIZON'
  const create = generations(lineage, wanted).map((ids) =>
    ids.map((id): NewLease => {
      const shard = lineage.shards.get(id)!
      return {
        shardId: id,
        checkpoint,
        parentShardIds: shard.parentShardIds,
        childShardIds: shard.closed ? (lineage.children.get(id) ?? []) : [],
        startingHashKey: shard.startingHashKey,
        endingHashKey: shard.endingHashKey,
      }
    }),
  )

  const linkParents: { shardId: string; parentShardIds: string[] }[] = []
  const linkChildren: { shardId: string; childShardIds: string[] }[] = []
  const end: string[] = []
  const deletable: string[] = []
  const markAbsent: string[] = []
  const clearAbsent: { shardId: string; since: number }[] = []
  for (const lease of leases) {
    const shard = lineage.shards.get(lease.leaseKey)
    if (!shard) {
      // Gone from a complete listing: aged out of retention. Unheld, it must not block its children,
      // but only once a second listing, some time after the first, agrees (rule 8): one odd answer
      // must never end a lease. The first sighting is kept on the item, so passes of different
      // Syncs (or `syncOnce()` calls with no memory between them) add up.
      if (lease.leaseOwner !== undefined) continue
      const since = lease.shardAbsentSince
      if (since === undefined) markAbsent.push(lease.leaseKey)
      else if (options.now !== undefined && options.now - since >= confirmMs) {
        if (lease.checkpoint !== 'SHARD_END') end.push(lease.leaseKey)
        else deletable.push(lease.leaseKey)
      }
      continue
    }
    if (lease.shardAbsentSince !== undefined)
      clearAbsent.push({ shardId: lease.leaseKey, since: lease.shardAbsentSince })
    const missingParents = shard.parentShardIds.filter((p) => !lease.parentShardIds.includes(p))
    if (missingParents.length > 0)
      linkParents.push({ shardId: shard.shardId, parentShardIds: missingParents })
    const children = lineage.children.get(shard.shardId) ?? []
    const missingChildren = children.filter((c) => !lease.childShardIds.includes(c))
    if (missingChildren.length > 0)
      linkChildren.push({ shardId: shard.shardId, childShardIds: missingChildren })
    if (
      lease.checkpoint === 'SHARD_END' &&
      lease.leaseOwner === undefined &&
      children.length > 0 &&
      children.every((c) => childTookOver(lineage, leaseById, c, hasLeasedDescendant))
    ) {
      deletable.push(lease.leaseKey)
    }
  }
  return { create, linkParents, linkChildren, end, deletable, markAbsent, clearAbsent }
}

/** A child has taken over from its parent once its lease started, or it finished and was itself cleaned up. */
function childTookOver(
  lineage: Lineage,
  leaseById: ReadonlyMap<string, PlannedLease>,
  childId: string,
  hasLeasedDescendant: (id: string) => boolean,
): boolean {
  const lease = leaseById.get(childId)
  if (lease) return started(lease)
  return lineage.shards.has(childId) && hasLeasedDescendant(childId)
}

/** Splits `ids` into generations: a shard comes after every one of its ancestors that is in `ids`. */
function generations(lineage: Lineage, ids: ReadonlySet<string>): string[][] {
  const depth = new Map<string, number>()
  const depthOf = (id: string): number => {
    const known = depth.get(id)
    if (known !== undefined) return known
    const parents = (lineage.shards.get(id)?.parentShardIds ?? []).filter((p) => ids.has(p))
    const d = parents.length === 0 ? 0 : 1 + Math.max(...parents.map(depthOf))
    depth.set(id, d)
    return d
  }
  const result: string[][] = []
  for (const id of [...ids].sort()) {
    const d = depthOf(id)
    ;(result[d] ??= []).push(id)
  }
  return result.filter((g) => g.length > 0)
}
