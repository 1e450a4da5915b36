// One Sync pass, decided as data: which leases to create, link, end, and which finished ones
// may be deleted. Pure, so every lineage rule (DESIGN.md rules 7, 8, 11) is tested without I/O.

import type { Lease } from '@kine/core'
import { buildLineage, descendants, type Lineage, type ShardInfo } from './lineage.js'

/** Where the leases of a new table start; later leases always start at TRIM_HORIZON. */
export type InitialSentinel = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP'

/** The lease fields a plan reads. */
export type PlannedLease = Pick<
  Lease,
  'leaseKey' | 'leaseOwner' | 'checkpoint' | 'parentShardIds' | 'childShardIds'
>

export interface NewLease {
  readonly shardId: string
  readonly checkpoint: InitialSentinel
  readonly parentShardIds: readonly string[]
  readonly childShardIds: readonly string[]
  readonly startingHashKey: string
  readonly endingHashKey: string
}

export interface SyncPlan {
  /**
   * Leases to create, in generations: every parent's generation comes before its children's, so
   * a crash between two writes never leaves a child leased while its parent is still to be
   * created (the parent would then never be created: rule 11).
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
  /** Unheld, unfinished leases whose shard has left the stream (aged out): set them to SHARD_END. */
  readonly end: readonly string[]
  /** Finished, unheld leases that nothing needs any more: deletable once the grace period passes. */
  readonly deletable: readonly string[]
}

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
): SyncPlan {
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
  for (const lease of leases) {
    const shard = lineage.shards.get(lease.leaseKey)
    if (!shard) {
      // Gone from a complete listing: aged out of retention. Unheld, it must not block its children.
      if (lease.checkpoint !== 'SHARD_END') {
        if (lease.leaseOwner === undefined) end.push(lease.leaseKey)
      } else if (lease.leaseOwner === undefined) {
        deletable.push(lease.leaseKey)
      }
      continue
    }
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
  return { create, linkParents, linkChildren, end, deletable }
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
