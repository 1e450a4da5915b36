// A handler that keeps failing under `onHandlerFailure: 'release-lease'`: the batch is retried
// `handlerRetries` times, then the lease is released (its checkpoint untouched, so nothing is
// skipped) and this worker leaves the shard alone for one lease duration, so that another worker
// can take it; alone, it takes the shard back after that and delivers from the same record.
import { afterEach, describe, expect, it } from 'vitest'
import { F, World } from './world.js'

let world: World

afterEach(async () => {
  await world.stopAll()
})

describe('failure policy: release-lease', () => {
  it('releases the shard after the retries, keeps off it for F, then resumes at the failed batch', async () => {
    world = new World(1)
    await world.sync()
    const shard = World.shard(0)
    const put = world.put(shard, 3)
    let failures = 3
    const a = world.worker('A', {
      onHandlerFailure: 'release-lease',
      handlerRetries: 1,
      processRecords: async (records) => {
        if (failures > 0) {
          failures--
          throw new Error('downstream unavailable')
        }
        await world.record('A', records)
      },
    })
    await a.start()
    await world.until(() => a.seen('leaseReleased').length === 1, 5 * F, 'A releases the shard')
    const released = a.seen('leaseReleased')[0]?.at ?? 0
    // Two attempts (1 + handlerRetries), each failing, before the release; nothing delivered.
    expect(a.seen('handlerError')).toHaveLength(2)
    expect(world.delivered(shard)).toEqual([])
    const stored = await world.lease(shard)
    expect(stored?.leaseOwner).toBeUndefined()
    expect(stored?.checkpoint).toBe('TRIM_HORIZON')

    await world.until(() => world.delivered(shard).length === 3, 10 * F, 'the shard is resumed')
    const retaken = a.seen('leaseTaken').filter((t) => t.shardId === shard)
    expect(retaken).toHaveLength(2)
    // Kept off the shard it gave up for one lease duration.
    expect(retaken[1]?.at ?? 0).toBeGreaterThanOrEqual(released + F)
    // The third failure is retried on the retaken lease; then every record, once, in order.
    expect(world.delivered(shard)).toEqual(put)
  })
})
