// Rules 4 and 5 of docs/lease-protocol.md, stop() in each phase of a lease: running with a
// handler in flight (the batch finishes, is checkpointed, the lease released), handoff-in (left to
// expire, not released), handoff-out (the handoff checkpoint, not a release), and stopping past
// stopTimeoutMs (the handler abandoned, nothing checkpointed for it). Whatever the phase, no
// record is skipped, and none is delivered twice where the rules promise once.
import { afterEach, describe, expect, it } from 'vitest'
import { F, World } from './world.js'

const [S0, S1] = [World.shard(0), World.shard(1)]
let world: World

afterEach(async () => {
  await world.stopAll()
})

/** Every data string delivered, sorted; fails if one was delivered twice. */
function deliveredOnce(): string[] {
  const data = world.deliveries.map((d) => d.data).sort()
  expect(new Set(data).size).toBe(data.length)
  return data
}

describe('stop() during each phase', () => {
  it('running, a handler in flight: the batch finishes, is checkpointed, and the lease released', async () => {
    world = new World(1)
    await world.sync()
    const first = world.put(S0, 3)
    const open = world.hold()
    const a = world.worker('A')
    await a.start()
    await world.run(F / 5)
    const stopped = a.consumer.stop()
    await world.run(F / 2)
    expect(a.consumer.leases()).toEqual([{ shardId: S0, phase: 'stopping' }])
    open()
    await world.settle(stopped)
    expect(world.delivered(S0)).toEqual(first)
    const lease = await world.lease(S0)
    expect(lease?.leaseOwner).toBeUndefined()
    expect(lease?.checkpoint).toBe(world.deliveries.at(-1)?.sequenceNumber)
    expect(a.seen('leaseReleased').map((r) => r.shardId)).toEqual([S0])

    // The next worker takes the free lease at once and reads only what came after.
    const more = world.put(S0, 2)
    const b = world.worker('B')
    await b.start()
    expect(b.held()).toEqual([S0])
    await world.until(() => world.delivered(S0, 'B').length === 2, 2 * F, 'B reads')
    expect(world.delivered(S0, 'B')).toEqual(more)
  })

  it('handoff-in: the lease is left to expire, not released, and nothing is lost', async () => {
    world = new World(2)
    await world.sync()
    world.put(S0, 2)
    world.put(S1, 2)
    const open = world.hold()
    const a = world.worker('A')
    await a.start()
    await world.run(F / 5)
    const b = world.worker('B')
    await b.start()
    await world.until(() => b.held().length === 1, 2 * F, 'B begins a handoff')
    const shard = b.held()[0] as string
    expect(b.consumer.leases()[0]?.phase).toBe('handoff-in')

    const writesBefore = b.writes(shard).length
    await b.stop()
    // Not released: still B's, so no third worker could take it at once while A may still read.
    expect((await world.lease(shard))?.leaseOwner).toBe('B')
    expect(b.writes(shard).length).toBe(writesBefore)
    expect(b.seen('leaseReleased')).toEqual([])

    open()
    world.put(shard, 2)
    // A writes its handoff checkpoint, later takes the expired lease back and reads on from it.
    await world.until(() => world.deliveries.length === 6, 5 * F, 'every record')
    await world.run(2 * F) // a late duplicate would show here
    expect(world.deliveries).toHaveLength(6)
    expect(a.seen('leaseLost').find((l) => l.shardId === shard)?.reason).toBe('handed-off')
    expect(deliveredOnce()).toHaveLength(6)
    expect(world.delivered(shard, 'B')).toEqual([])
  })

  it('handoff-out: the handoff checkpoint is written instead of a release; the new owner continues from it', async () => {
    world = new World(2)
    await world.sync()
    world.put(S0, 2)
    world.put(S1, 2)
    const open = world.hold()
    const a = world.worker('A')
    await a.start()
    await world.run(F / 5)
    const b = world.worker('B')
    await b.start()
    await world.until(() => b.held().length === 1, 2 * F, 'B begins a handoff')
    const handed = b.held()[0] as string
    const kept = handed === S0 ? S1 : S0
    await world.until(
      () => a.consumer.leases().some((l) => l.shardId === handed && l.phase === 'handoff-out'),
      F,
      'A finds the handoff',
    )

    const stopped = a.consumer.stop()
    await world.run(F / 5)
    open()
    await world.settle(stopped)
    expect(a.seen('leaseLost').map((l) => [l.shardId, l.reason])).toEqual([[handed, 'handed-off']])
    expect(a.seen('leaseReleased').map((r) => r.shardId)).toEqual([kept])
    world.put(handed, 1)
    world.put(kept, 1)
    await world.until(() => world.deliveries.length === 6, 3 * F, 'every record')
    await world.run(2 * F) // a late duplicate would show here
    expect(world.deliveries).toHaveLength(6)
    // B read on from A's checkpoints on both shards: nothing twice.
    expect(deliveredOnce()).toHaveLength(6)
    expect(b.held()).toEqual([S0, S1])
  })

  it('stopping past stopTimeoutMs: the handler is abandoned, nothing is checkpointed for it, the lease released', async () => {
    world = new World(1)
    await world.sync()
    const records = world.put(S0, 3)
    let aborted = false
    const a = world.worker('A', {
      stopTimeoutMs: 2 * F,
      processRecords: (_records, ctx) =>
        new Promise<void>(() => {
          // Never finishes; notices the abort only.
          ctx.signal.addEventListener('abort', () => {
            aborted = true
          })
        }),
    })
    await a.start()
    await world.run(F / 5)
    const stopAt = world.clock.now()
    const stopped = a.consumer.stop()
    await world.run(F)
    expect(aborted).toBe(false)
    await world.settle(stopped)
    expect(aborted).toBe(true)
    expect(world.clock.now()).toBeGreaterThanOrEqual(stopAt + 2 * F)
    const lease = await world.lease(S0)
    expect(lease?.checkpoint).toBe('TRIM_HORIZON')
    expect(lease?.leaseOwner).toBeUndefined()
    expect(a.seen('checkpoint')).toEqual([])

    // The abandoned batch is delivered again by the next owner: none skipped.
    const b = world.worker('B')
    await b.start()
    await world.until(() => world.delivered(S0, 'B').length === 3, 2 * F, 'B reads')
    expect(world.delivered(S0, 'B')).toEqual(records)
  })
})
