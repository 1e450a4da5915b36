// Rule 8 of docs/lease-protocol.md: at a shard's end the end hook runs, then the children's
// leases are created, then SHARD_END is checkpointed and the lease released; a child is never
// taken before every parent is at SHARD_END, so per-key order holds across a split or a merge.
import { afterEach, describe, expect, it } from 'vitest'
import type { KineRecord } from '@kine/core'
import type { RecordsContext } from '../../src/index.js'
import { F, World, type TestWorker } from './world.js'

const [S0, S1, S2] = [World.shard(0), World.shard(1), World.shard(2)]
let world: World

afterEach(async () => {
  await world.stopAll()
})

/** Fails, at the step it happens, if a child lease is owned while a parent is unfinished. */
async function expectParentsFirst(ms: number): Promise<void> {
  const end = world.clock.now() + ms
  while (world.clock.now() < end) {
    await world.run(20)
    const leases = await world.leases()
    for (const lease of leases.values()) {
      if (lease.leaseOwner === undefined) continue
      for (const parent of lease.parentShardIds) {
        expect(leases.get(parent)?.checkpoint ?? 'SHARD_END').toBe('SHARD_END')
      }
    }
  }
}

/** A handler that completes records as the world's does, except on `shardId` while `blocked`. */
function blocking(shardId: string): {
  handler: (records: readonly KineRecord[], ctx: RecordsContext) => Promise<void>
  unblock: () => void
} {
  let unblock!: () => void
  const blocked = new Promise<void>((resolve) => {
    unblock = resolve
  })
  return {
    unblock,
    handler: async (records, ctx) => {
      if (ctx.shardId === shardId) await blocked
      await world.record(ctx.workerId, records)
    },
  }
}

describe('rule 8: shard end', () => {
  it('end hook, then child leases, then SHARD_END, then release; the children are read after', async () => {
    world = new World(1)
    await world.sync()
    const parentRecords = world.put(S0, 3)
    world.kinesis.splitShard('orders', S0)
    const childRecords = [...world.put(S1, 2), ...world.put(S2, 2)]
    const atHook: { checkpoint?: string; children: number }[] = []
    const a = world.worker('A', {
      shardEnded: async (ctx) => {
        const leases = await world.leases()
        atHook.push({
          ...(leases.get(ctx.shardId)?.checkpoint !== undefined
            ? { checkpoint: leases.get(ctx.shardId)?.checkpoint as string }
            : {}),
          children: [S1, S2].filter((c) => leases.has(c)).length,
        })
        expect(ctx.childShardIds).toEqual([S1, S2])
      },
    })
    await a.start()
    await world.until(() => world.deliveries.length === 7, 10 * F, 'every record')
    await world.run(2 * F) // a late duplicate would show here
    expect(world.deliveries).toHaveLength(7)
    // The hook ran once, before the children's leases existed and before SHARD_END.
    expect(atHook).toEqual([{ checkpoint: world.deliveries[2]?.sequenceNumber, children: 0 }])
    const ended = a.seen('shardEnded')
    expect(ended.map((e) => [e.shardId, e.childShardIds])).toEqual([[S0, [S1, S2]]])
    // Released after SHARD_END (emitted in that order).
    const order = a.events
      .filter((e) => e.payload.shardId === S0)
      .map((e) => e.name)
      .filter((n) => n === 'shardEnded' || n === 'leaseReleased')
    expect(order).toEqual(['shardEnded', 'leaseReleased'])
    const leases = await world.leases()
    expect(leases.get(S0)?.checkpoint).toBe('SHARD_END')
    expect(leases.get(S0)?.childShardIds).toEqual([S1, S2])
    for (const child of [S1, S2]) expect(leases.get(child)?.parentShardIds).toEqual([S0])
    // Exactly once; the parent's records before any child's.
    expect(world.delivered(S0)).toEqual(parentRecords)
    expect([...world.delivered(S1), ...world.delivered(S2)].sort()).toEqual(childRecords.sort())
    expect(world.deliveries.slice(0, 3).map((d) => d.shardId)).toEqual([S0, S0, S0])
  })
})

describe('rule 8: parents before children', () => {
  it('after a split, no worker takes a child while the parent is still being read', async () => {
    world = new World(1)
    world.put(S0, 3)
    world.kinesis.splitShard('orders', S0)
    world.put(S1, 1)
    world.put(S2, 1)
    await world.sync() // leases for the parent and both children
    expect([...(await world.leases()).keys()].sort()).toEqual([S0, S1, S2])
    const { handler, unblock } = blocking(S0)
    const workers: TestWorker[] = ['A', 'B', 'C'].map((id) =>
      world.worker(id, { processRecords: handler }),
    )
    await world.settle(Promise.all(workers.map((w) => w.consumer.start())))
    // The parent's batch is stuck for 3F: the children stay free all that time.
    await expectParentsFirst(3 * F)
    expect(world.delivered(S1)).toEqual([])
    unblock()
    await world.until(() => world.deliveries.length === 5, 5 * F, 'every record')
    await world.run(2 * F) // a late duplicate would show here
    expect(world.deliveries).toHaveLength(5)
    await expectParentsFirst(F)
    expect(new Set(world.deliveries.map((d) => d.data)).size).toBe(5)
  })

  it('after a merge, the child waits for both parents', async () => {
    world = new World(2)
    world.put(S0, 1)
    world.put(S1, 1)
    world.kinesis.mergeShards('orders', S0, S1)
    world.put(S2, 1)
    await world.sync()
    const { handler, unblock } = blocking(S1)
    const a = world.worker('A', { processRecords: handler })
    await a.start()
    await world.until(() => a.seen('shardEnded').some((e) => e.shardId === S0), 3 * F, 'S0 ends')
    // One parent finished, the other still being read: the child stays free.
    await expectParentsFirst(3 * F)
    expect((await world.lease(S2))?.leaseOwner).toBeUndefined()
    unblock()
    await world.until(() => world.delivered(S2).length === 1, 5 * F, 'the child is read')
    expect(world.deliveries.map((d) => d.shardId).at(-1)).toBe(S2)
  })
})
