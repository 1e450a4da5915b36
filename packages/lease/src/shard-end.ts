// The end of a shard this worker read to its end, rule 8 of docs/lease-protocol.md: the children's
// leases (and the parent's link to them) first, then SHARD_END, fenced. A child never exists
// without its parent's link, and SHARD_END is never written before the children exist.

import { InvalidLeaseItemError, LeaseLostError, type ChildShard, type Lease } from '@kine/core'
import { backoffDelay, createLeaseInput, linkChildrenInput } from '@kine/core/lease-table'
import type { HeldLease } from './held-lease.js'
import type { HolderWrites } from './holder-writes.js'
import type { WorkerContext } from './worker-context.js'

/** Attempts of each step before the shard's pipeline gives up (and releases the lease). */
const ATTEMPTS = 6

/** Creates the children's leases of `h`, then checkpoints `SHARD_END`. */
export async function finishShard(
  ctx: WorkerContext,
  writes: HolderWrites,
  h: HeldLease,
  children: readonly ChildShard[],
): Promise<void> {
  await createChildren(ctx, h, children)
  // From here a handoff checkpoint is SHARD_END too: nothing is left to read.
  h.endReady = true
  await retrying(ctx, h, 'checkpoint SHARD_END', () =>
    h.enqueue(() => writes.checkpoint(h, 'SHARD_END', 0)),
  )
}

async function createChildren(
  ctx: WorkerContext,
  h: HeldLease,
  children: readonly ChildShard[],
): Promise<void> {
  const { options: o, store, logger } = ctx
  for (const child of children) {
    // A merge child is created here only once its other parents have leases. A parent without
    // one may be a lease Sync has yet to write (a pass cut short): a child leased now would be
    // read before that parent, and Sync would then never create the parent (it has a leased
    // descendant, rule 11), skipping its records. Sync creates such a child itself, after them.
    const missing: string[] = []
    for (const parent of child.parentShardIds) {
      if (parent === h.shardId) continue
      const present = await retrying(ctx, h, 'read parent lease', () =>
        store.get(parent).then(
          (lease) => lease !== undefined,
          (error: unknown) => {
            // An item that does not parse still exists.
            if (error instanceof InvalidLeaseItemError) return true
            throw error
          },
        ),
      )
      if (!present) missing.push(parent)
    }
    if (missing.length > 0) {
      logger.info(
        { shardId: h.shardId, child: child.shardId, missingParents: missing },
        'leaving the child lease to Sync: another parent has no lease yet',
      )
      continue
    }
    const created = await retrying(ctx, h, 'create child lease', () =>
      store.create(createLeaseInput(o.tableName, childLease(child))),
    )
    logger.debug({ shardId: h.shardId, child: child.shardId, created }, 'child lease')
  }
  if (children.length > 0) {
    await retrying(ctx, h, 'link children', () =>
      store.updateIgnoringCondition(
        linkChildrenInput(o.tableName, {
          leaseKey: h.shardId,
          childShardIds: children.map((c) => c.shardId),
        }),
      ),
    )
  }
}

/** A child's new lease: from its first record (all of a child follows its parents' ends). */
function childLease(child: ChildShard): Lease {
  return {
    leaseKey: child.shardId,
    leaseCounter: 0,
    checkpoint: 'TRIM_HORIZON',
    checkpointSubSequenceNumber: 0,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: child.parentShardIds,
    childShardIds: [],
    ...(child.hashKeyRange !== undefined
      ? {
          startingHashKey: child.hashKeyRange.startingHashKey,
          endingHashKey: child.hashKeyRange.endingHashKey,
        }
      : {}),
  }
}

/** Retries a step with backoff while the lease is held; a lost lease or an abort ends it. */
async function retrying<T>(
  ctx: WorkerContext,
  h: HeldLease,
  what: string,
  call: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    h.pipeline.signal.throwIfAborted()
    try {
      return await call()
    } catch (error) {
      if (error instanceof LeaseLostError || h.phase === 'gone') throw error
      if (attempt >= ATTEMPTS - 1) throw error
      ctx.logger.warn({ err: error, shardId: h.shardId, attempt }, `${what} failed; retrying`)
      await ctx.options.clock.sleep(
        backoffDelay(attempt, { baseMs: 100, capMs: 2_000 }),
        h.pipeline.signal,
      )
    }
  }
}
