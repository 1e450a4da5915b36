// Rules 3 and 4 of docs/lease-protocol.md, fair share: workers converge to an even split, a
// joining worker gets its share from those above the target, and maxLeases is never exceeded.
// Every lease is held by one worker at a time throughout.
import { afterEach, describe, expect, it } from 'vitest'
import { F, World, type TestWorker } from './world.js'

let world: World

afterEach(async () => {
  await world.stopAll()
})

/** Fails if two workers hold one shard at once. */
function expectExclusive(workers: readonly TestWorker[]): void {
  const all = workers.flatMap((w) => w.held())
  expect(new Set(all).size).toBe(all.length)
}

const shares = (workers: readonly TestWorker[]): number[] =>
  workers.map((w) => w.held().length).sort()

describe('fair share', () => {
  it('three workers started together converge to an even split of six shards', async () => {
    world = new World(6)
    await world.sync()
    const workers = ['A', 'B', 'C'].map((id) => world.worker(id))
    await world.settle(Promise.all(workers.map((w) => w.consumer.start())))
    await world.until(() => shares(workers).join() === '2,2,2', 10 * F, 'an even split')
    // And it stays settled: no lease moves once shares are even.
    const before = workers.map((w) => w.held().join())
    await world.run(5 * F, () => expectExclusive(workers))
    expect(workers.map((w) => w.held().join())).toEqual(before)
  })

  it('a joining worker gets its share by handoff from the workers above the target', async () => {
    world = new World(6)
    await world.sync()
    const a = world.worker('A')
    const b = world.worker('B')
    await world.settle(Promise.all([a.consumer.start(), b.consumer.start()]))
    await world.until(() => shares([a, b]).join() === '3,3', 10 * F, '3 + 3')
    const joined = world.clock.now()
    const c = world.worker('C')
    await c.start()
    await world.until(() => shares([a, b, c]).join() === '2,2,2', 10 * F, '2 + 2 + 2')
    expect(c.seen('leaseTaken').every((t) => t.handoff)).toBe(true)
    // One lease from each of A and B, each handed off, none lost otherwise.
    for (const w of [a, b]) {
      const lost = w.seen('leaseLost').filter((l) => l.at >= joined)
      expect(lost.map((l) => [l.reason, l.newOwner])).toEqual([['handed-off', 'C']])
    }
    await world.run(3 * F, () => expectExclusive([a, b, c]))
  })

  it('maxLeases is honoured at every step; the rest goes to the others', async () => {
    world = new World(4)
    await world.sync()
    const a = world.worker('A', { maxLeases: 1 })
    const b = world.worker('B')
    await world.settle(Promise.all([a.consumer.start(), b.consumer.start()]))
    await world.run(8 * F, () => {
      expect(a.held().length).toBeLessThanOrEqual(1)
      expectExclusive([a, b])
    })
    expect(a.held().length).toBe(1)
    expect(b.held().length).toBe(3)
  })
})
