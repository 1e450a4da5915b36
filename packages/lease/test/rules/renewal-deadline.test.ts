// Rule 2 of docs/lease-protocol.md: a worker that cannot write for F after it sent its last
// successful write stops acting on the lease, by a timer, even when no response ever comes: the
// pipeline (and the handler's ctx.signal) is aborted, leaseLost says 'expired', and nothing more
// is written for the lease.
import { afterEach, describe, expect, it } from 'vitest'
import type { RecordsContext } from '../../src/index.js'
import { F, World } from './world.js'

const S0 = World.shard(0)
let world: World

afterEach(async () => {
  await world.stopAll()
})

describe.each(['down', 'hang'] as const)('rule 2: renewal deadline, DynamoDB %s', (fault) => {
  it('stops acting F after the last successful write was sent, and writes nothing after', async () => {
    world = new World(1)
    await world.sync()
    let inFlight: RecordsContext | undefined
    let release!: () => void
    const a = world.worker('A', {
      processRecords: async (records, ctx) => {
        inFlight = ctx
        // A batch that outlasts the lease: it only ends when its signal aborts.
        await new Promise<void>((resolve) => {
          release = resolve
          ctx.signal.addEventListener('abort', () => resolve(), { once: true })
        })
        void records
      },
    })
    await a.start()
    world.put(S0, 2)
    await world.until(() => inFlight !== undefined, 2 * F, 'a batch in flight')
    await world.run(F / 2)
    const successful = a.link.sent.filter((c) => c.operation === 'UpdateItem')
    const lastSent = Math.max(...successful.map((c) => c.at))
    a.link.dynamo = fault
    await world.until(() => a.seen('leaseLost').length > 0, 3 * F, 'the lease is lost')
    const lost = a.seen('leaseLost')[0]
    expect(lost?.reason).toBe('expired')
    expect(lost?.shardId).toBe(S0)
    // At the deadline, within a clock step: F after the last successful write was sent.
    expect(lost?.at).toBeGreaterThanOrEqual(lastSent + F)
    expect(lost?.at).toBeLessThanOrEqual(lastSent + F + 10)
    expect(inFlight?.signal.aborted).toBe(true)
    expect(a.held()).toEqual([])
    // Nothing more is sent for the lease, though DynamoDB stays unreachable for a while.
    const deadline = lastSent + F
    await world.run(3 * F)
    expect(a.writes(S0, deadline)).toEqual([])
    // A checkpoint asked for after the abort is refused and writes nothing.
    await expect(inFlight?.checkpoint()).rejects.toThrow()
    expect(a.seen('checkpoint')).toEqual([])
    release()
  })
})
