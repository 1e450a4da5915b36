// Rule 3 of docs/lease-protocol.md, expiry: a lease is taken only once its owner and counter have
// stood still for more than F on the taker's own clock; a renewed lease is never taken; the
// workers' clocks need not agree.
import { afterEach, describe, expect, it } from 'vitest'
import { F, World, skewedClock } from './world.js'

const S0 = World.shard(0)
let world: World

afterEach(async () => {
  await world.stopAll()
})

describe('rule 3: expiry is judged on the local clock', () => {
  it('a lease whose counter stood still for F is taken, not before, and reading resumes at its checkpoint', async () => {
    world = new World(1)
    await world.sync()
    world.put(S0, 3)
    const a = world.worker('A')
    await a.start()
    await world.until(() => world.delivered(S0).length === 3)
    await world.until(() => a.seen('checkpoint').length > 0)
    // A's process dies: nothing it sends arrives any more.
    a.link.dynamo = 'down'
    a.link.kinesis = 'down'
    const lastWrite = Math.max(
      ...a.link.sent.filter((c) => c.operation === 'UpdateItem').map((c) => c.at),
    )
    const stored = await world.lease(S0)
    world.put(S0, 2)

    const b = world.worker('B')
    await b.start()
    await world.until(() => b.held().includes(S0), 5 * F, 'B takes the lease')
    const taken = b.seen('leaseTaken')[0]
    // B saw the counter first at its start, after A's last write, and waited more than F on its clock.
    expect(taken?.at).toBeGreaterThan(lastWrite + F)
    expect(taken?.handoff).toBe(false)
    // Within F plus one scan interval (F/2, jittered 10%) plus a step.
    expect(taken?.at).toBeLessThanOrEqual(lastWrite + F + 0.55 * F + F / 2)
    // B sent nothing for the lease before then.
    expect(b.writes(S0).every((c) => c.at > lastWrite + F)).toBe(true)
    expect((await world.lease(S0))?.leaseCounter).toBeGreaterThan(stored?.leaseCounter ?? 0)
    await world.until(() => world.delivered(S0).length === 5)
    await world.run(2 * F) // a late duplicate would show here
    // Resumed after A's checkpoint: nothing A had checkpointed is delivered again.
    expect(world.delivered(S0, 'B')).toEqual(['r4', 'r5'])
  })

  it('a lease renewed by its live owner is never taken, however long another worker watches', async () => {
    world = new World(1)
    await world.sync()
    const a = world.worker('A')
    await a.start()
    const b = world.worker('B')
    await b.start()
    let counter = -1
    await world.run(10 * F, () => {
      expect(a.held()).toEqual([S0])
      expect(b.held()).toEqual([])
    })
    counter = (await world.lease(S0))?.leaseCounter ?? -1
    // Renewed every F/3 all along.
    expect(counter).toBeGreaterThanOrEqual(25)
    expect(b.seen('leaseTaken')).toEqual([])
    expect(b.writes(S0)).toEqual([])
  })

  it('clocks of different workers may differ: a skewed clock neither steals a live lease nor delays failover', async () => {
    world = new World(2)
    await world.sync()
    const a = world.worker('A')
    await a.start()
    expect(a.held()).toEqual([World.shard(0), World.shard(1)])
    // B's monotonic clock reads a day ahead and its wall clock an hour behind.
    const b = world.worker('B', {}, skewedClock(world.clock, 86_400_000, -3_600_000))
    await b.start()
    // B's share is one lease, which it may only get by handoff from A while A lives.
    await world.until(() => b.held().length === 1, 5 * F, 'B gets its share')
    expect(b.seen('leaseTaken').map((t) => t.handoff)).toEqual([true])
    await world.run(5 * F)
    expect(a.held().length).toBe(1)
    expect(b.held().length).toBe(1)

    // A dies; B takes A's remaining lease F after it last saw A's counter move, on its own clock.
    const remaining = a.held()[0] as string
    a.link.dynamo = 'down'
    a.link.kinesis = 'down'
    const died = world.clock.now()
    await world.until(() => b.held().includes(remaining), 5 * F, "B takes A's lease")
    const taken = b.seen('leaseTaken').at(-1)
    expect(taken?.at).toBeGreaterThan(died + F - F / 3)
    expect(taken?.at).toBeLessThanOrEqual(died + F + 0.55 * F + F / 2)
  })
})
