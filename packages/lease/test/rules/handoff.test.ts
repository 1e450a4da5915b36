// Rule 4 of docs/lease-protocol.md, cooperative handoff: the new owner renews but does not read
// until the old owner's handoff checkpoint lands, then continues from it (nothing skipped, nothing
// read twice when the batch in flight finished); if the old owner stays silent, the new owner
// reads from the stored checkpoint once handoffTimeoutMs has passed, after the old owner's
// rule-2 deadline.
import { afterEach, describe, expect, it } from 'vitest'
import { F, World } from './world.js'

let world: World

afterEach(async () => {
  await world.stopAll()
})

describe('rule 4: cooperative handoff', () => {
  it('the new owner waits for the old owner to finish its batch in flight and continues from its checkpoint', async () => {
    world = new World(2)
    await world.sync()
    const put = [World.shard(0), World.shard(1)].map((s) => world.put(s, 3))
    const open = world.hold()
    const a = world.worker('A')
    await a.start()
    expect(a.held()).toEqual([World.shard(0), World.shard(1)])
    await world.run(F / 5) // both of A's first batches are now in flight, held at the gate

    const b = world.worker('B')
    await b.start()
    await world.until(() => b.held().length === 1, 2 * F, 'B begins a handoff')
    const shard = b.held()[0] as string
    const index = shard === World.shard(0) ? 0 : 1
    const begun = b.seen('leaseTaken')[0]
    expect(begun?.handoff).toBe(true)
    expect(b.consumer.leases()[0]?.phase).toBe('handoff-in')
    // A finds the handoff at its next renewal and stops fetching; its batch is still running.
    await world.run(F / 2)
    expect(a.consumer.leases().find((l) => l.shardId === shard)?.phase).toBe('handoff-out')
    const more = world.put(shard, 2)
    expect(b.reads(shard)).toEqual([])

    open()
    await world.until(
      () => world.delivered(shard).length === 5,
      3 * F,
      'every record of the shard delivered',
    )
    await world.run(2 * F) // a late duplicate would show here
    // Exactly once, in order: A's batch in flight, then B from A's handoff checkpoint.
    expect(world.delivered(shard)).toEqual([...(put[index] ?? []), ...more])
    expect(world.delivered(shard, 'A')).toEqual(put[index])
    expect(world.delivered(shard, 'B')).toEqual(more)
    const lost = a.seen('leaseLost').find((l) => l.shardId === shard)
    expect(lost?.reason).toBe('handed-off')
    expect(lost?.newOwner).toBe('B')
    // B read as soon as the checkpoint landed, well before its handoff timeout.
    const firstRead = b.reads(shard)[0] ?? Infinity
    expect(firstRead).toBeLessThan((begun?.at ?? 0) + F)
    const lease = await world.lease(shard)
    expect(lease?.leaseOwner).toBe('B')
    expect(lease?.checkpointOwner).toBeUndefined()
  })

  it('timeout: with the old owner silent, the new owner reads from the stored checkpoint after handoffTimeoutMs', async () => {
    world = new World(2)
    await world.sync()
    const first = [World.shard(0), World.shard(1)].map((s) => world.put(s, 2))
    const a = world.worker('A')
    await a.start()
    await world.until(() => world.deliveries.length === 4, 2 * F, 'A processed the first records')
    await world.run(2 * F) // a late duplicate would show here
    expect(world.deliveries).toHaveLength(4)
    await world.until(() => a.seen('checkpoint').length === 2, 2 * F, 'and checkpointed them')
    // A's batch in flight never finishes, and A cannot reach DynamoDB: it never writes a handoff
    // checkpoint.
    world.hold()
    const second = [World.shard(0), World.shard(1)].map((s) => world.put(s, 2))
    await world.run(F / 5)
    a.link.dynamo = 'down'

    const b = world.worker('B', { handoffTimeoutMs: 2 * F })
    await b.start()
    await world.until(() => b.seen('leaseTaken').length > 0, 2 * F, 'B begins a handoff')
    const begun = b.seen('leaseTaken')[0]
    expect(begun?.handoff).toBe(true)
    const shard = begun?.shardId as string
    const index = shard === World.shard(0) ? 0 : 1
    world.gate = undefined // B's handlers run freely; A's call stays stuck on the old gate

    await world.until(() => b.reads(shard).length > 0, 4 * F, 'B starts reading')
    const firstRead = b.reads(shard)[0] as number
    // Not before the timeout since B sent its handoff write...
    expect(firstRead).toBeGreaterThanOrEqual((begun?.at ?? 0) + 2 * F)
    // ...and after A stopped acting on the lease (its rule-2 deadline).
    const aLost = a.seen('leaseLost').find((l) => l.shardId === shard)
    expect(aLost?.at).toBeLessThan(firstRead)
    await world.until(() => world.delivered(shard, 'B').length === 2, 2 * F, 'B reads')
    await world.run(2 * F)
    // From the stored checkpoint: the records A never finished, none of those it checkpointed.
    expect(world.delivered(shard, 'B')).toEqual(second[index])
    expect(world.delivered(shard, 'A')).toEqual(first[index])
  })
})
