// Rule 1 of docs/lease-protocol.md, lost responses: a take, renewal or checkpoint that applied
// but whose response never came back is adopted at counter + 1, so the worker keeps the lease it
// actually holds instead of leaving it to stall or dropping it.
import { afterEach, describe, expect, it } from 'vitest'
import { F, World, setsCheckpoint, type TestWorker } from './world.js'

const S0 = World.shard(0)
let world: World

afterEach(async () => {
  await world.stopAll()
})

/** Steps `ms`, failing if the stored checkpoint ever moves back or `w` loses a lease. */
async function runWatching(w: TestWorker, ms: number): Promise<void> {
  let last = 0n
  const end = world.clock.now() + ms
  while (world.clock.now() < end) {
    await world.run(50)
    const checkpoint = (await world.lease(S0))?.checkpoint ?? ''
    if (/^\d+$/.test(checkpoint)) {
      expect(BigInt(checkpoint)).toBeGreaterThanOrEqual(last)
      last = BigInt(checkpoint)
    }
    expect(w.seen('leaseLost')).toEqual([])
  }
}

describe('rule 1: a write that applied but whose response was lost is adopted', () => {
  it('a take', async () => {
    world = new World(1)
    await world.sync()
    const a = world.worker('A')
    a.link.loseNextWriteResponse(S0)
    await a.start()
    expect(a.link.lost.length).toBe(1)
    expect(a.held()).toEqual([S0])
    expect(a.seen('leaseTaken').map((t) => t.shardId)).toEqual([S0])
    const lease = await world.lease(S0)
    expect(lease?.leaseOwner).toBe('A')
    expect(lease?.leaseCounter).toBe(1)
    // Held at counter 1: its renewals keep succeeding and it reads the shard.
    world.put(S0, 3)
    await runWatching(a, 3 * F)
    expect(world.delivered(S0)).toEqual(['r1', 'r2', 'r3'])
    expect((await world.lease(S0))?.leaseCounter).toBeGreaterThan(5)
  })

  it('a renewal', async () => {
    world = new World(1)
    await world.sync()
    const a = world.worker('A')
    await a.start()
    await world.run(F / 2)
    const before = (await world.lease(S0))?.leaseCounter ?? 0
    a.link.loseNextWriteResponse(S0)
    await runWatching(a, 3 * F)
    expect(a.link.lost.length).toBe(1)
    expect(a.held()).toEqual([S0])
    expect((await world.lease(S0))?.leaseOwner).toBe('A')
    expect((await world.lease(S0))?.leaseCounter).toBeGreaterThan(before + 5)
  })

  it('a checkpoint: the records are delivered once and the checkpoint lands', async () => {
    world = new World(1)
    await world.sync()
    const a = world.worker('A')
    await a.start()
    a.link.loseNextWriteResponse(S0, setsCheckpoint)
    world.put(S0, 3)
    await runWatching(a, F)
    expect(a.link.lost.map((c) => setsCheckpoint(c.input))).toEqual([true])
    world.put(S0, 2)
    await runWatching(a, 2 * F)
    expect(world.delivered(S0)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5'])
    const lease = await world.lease(S0)
    expect(lease?.leaseOwner).toBe('A')
    const sequences = world.deliveries.map((d) => d.sequenceNumber)
    expect(lease?.checkpoint).toBe(sequences.at(-1))
  })
})
