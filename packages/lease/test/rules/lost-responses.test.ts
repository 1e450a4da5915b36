// Rule 1 of docs/lease-protocol.md, lost responses: a take, renewal or checkpoint that applied
// but whose response never came back is adopted at counter + 1, so the worker keeps the lease it
// actually holds instead of leaving it to stall or dropping it.
import { afterEach, describe, expect, it } from 'vitest'
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import { renewLeaseInput } from '@kine/core/lease-table'
import { F, TABLE, World, setsCheckpoint, type TestWorker } from './world.js'

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

  it('a handoff write: the new owner adopts it and reads on from the handoff checkpoint', async () => {
    world = new World(2)
    await world.sync()
    world.put(World.shard(0), 2)
    world.put(World.shard(1), 2)
    const open = world.hold()
    const a = world.worker('A')
    await a.start()
    await world.run(F / 5)
    const b = world.worker('B')
    for (const shard of [World.shard(0), World.shard(1)]) {
      b.link.loseNextWriteResponse(shard, (input) => {
        const values = input.ExpressionAttributeValues as Record<string, { S?: string }>
        return values[':newOwner']?.S === 'B'
      })
    }
    await b.start()
    await world.until(() => b.held().length === 1, 2 * F, 'B holds its handoff')
    expect(b.link.lost.length).toBe(1)
    expect(b.seen('leaseTaken').map((t) => t.handoff)).toEqual([true])
    const handed = b.held()[0] as string
    await world.until(
      () => a.consumer.leases().some((l) => l.shardId === handed && l.phase === 'handoff-out'),
      F,
      'A finds the handoff',
    )
    open()
    world.put(handed, 1)
    await world.until(() => world.deliveries.length === 5, 3 * F, 'every record')
    await world.run(2 * F) // a late duplicate would show here
    expect(world.deliveries).toHaveLength(5)
    const data = world.deliveries.map((d) => d.data)
    expect(new Set(data).size).toBe(5)
    expect(world.delivered(handed, 'B')).toEqual(['r5'])
  })
})

describe('rule 1: ours at any other counter is not adopted', () => {
  it('another process writing with this worker id makes the worker give the lease up', async () => {
    world = new World(1)
    await world.sync()
    const a = world.worker('A')
    await a.start()
    await world.run(F / 2)
    // Another process with the same worker id renews twice behind A's back.
    const lease = await world.lease(S0)
    for (let i = 0; i < 2; i++) {
      await world.table.send(
        new UpdateItemCommand(
          renewLeaseInput(TABLE, {
            leaseKey: S0,
            owner: 'A',
            counter: (lease?.leaseCounter ?? 0) + i,
          }),
        ),
      )
    }
    await world.until(() => a.seen('leaseLost').length > 0, F, 'A gives the lease up')
    expect(a.seen('leaseLost')[0]?.reason).toBe('taken')
    expect(a.held()).toEqual([])
    const after = a.writes(S0).length
    await world.run(F)
    // Given up: A writes nothing more for it (the other process holds it, renewing or not).
    expect(a.writes(S0).length).toBe(after)
  })
})
