import type { Lease } from '../lease-item.js'
import { describe, expect, it } from 'vitest'
import { LeaseWatch, planLeases, type PlanInput } from './lease-plan.js'

const F = 10_000
const lease = (leaseKey: string, fields: Partial<Lease> = {}): Lease => ({
  leaseKey,
  leaseCounter: 1,
  checkpoint: 'TRIM_HORIZON',
  checkpointSubSequenceNumber: 0,
  ownerSwitchesSinceCheckpoint: 0,
  parentShardIds: [],
  childShardIds: [],
  ...fields,
})
const plan = (leases: Lease[], more: Partial<PlanInput> = {}) => {
  const watch = more.watch ?? new LeaseWatch()
  if (!more.watch) watch.observe(leases, 0)
  return planLeases({
    leases,
    held: new Set(),
    me: 'me',
    now: 0,
    watch,
    leaseDurationMs: F,
    maxLeases: Infinity,
    eligible: () => true,
    random: () => 0.5,
    ...more,
  })
}
const owned = (owner: string, n: number, from = 0): Lease[] =>
  Array.from({ length: n }, (_, i) => lease(`s-${owner}-${from + i}`, { leaseOwner: owner }))

describe('LeaseWatch', () => {
  it('expires a lease only after its counter stood still for more than F on the local clock', () => {
    const watch = new LeaseWatch()
    const l = lease('a', { leaseOwner: 'other', leaseCounter: 5 })
    watch.observe([l], 1_000)
    expect(watch.expired(l, 1_000 + F, F)).toBe(false)
    expect(watch.expired(l, 1_001 + F, F)).toBe(true)
    expect(watch.nextExpiry(1_000, F, 'me')).toBe(1_001 + F)
    // The counter moved: the clock starts again.
    const renewed = { ...l, leaseCounter: 6 }
    watch.observe([renewed], 5_000)
    expect(watch.expired(renewed, 1_001 + F, F)).toBe(false)
    expect(watch.expired(renewed, 5_001 + F, F)).toBe(true)
  })

  it('never expires a free lease, and forgets leases that left the table', () => {
    const watch = new LeaseWatch()
    watch.observe([lease('free')], 0)
    expect(watch.expired(lease('free'), 10 * F, F)).toBe(false)
    watch.observe([], 0)
    expect(watch.nextExpiry(0, F, 'me')).toBeUndefined()
  })
})

describe('planLeases', () => {
  it('takes free leases up to the fair share', () => {
    const result = plan([...owned('a', 2), lease('f1'), lease('f2'), lease('f3')])
    expect(result.workers).toBe(2)
    expect(result.target).toBe(3)
    expect(result.take.map((l) => l.leaseKey).sort()).toEqual(['f1', 'f2', 'f3'])
  })

  it('takes expired leases; counts only live owners as workers', () => {
    const watch = new LeaseWatch()
    const dead = owned('dead', 2)
    watch.observe(dead, 0)
    const result = plan(dead, { watch, now: F + 1 })
    expect(result.workers).toBe(1)
    expect(result.take).toHaveLength(2)
  })

  it('waits for every parent to be at SHARD_END or gone (both parents of a merge)', () => {
    const leases = [
      lease('p1', { checkpoint: 'SHARD_END' }),
      lease('p2', { leaseOwner: 'a', checkpoint: '123' }),
      lease('child', { parentShardIds: ['p1', 'p2'] }),
      lease('orphan', { parentShardIds: ['deleted'] }),
    ]
    const result = plan(leases)
    expect(result.blocked).toEqual(['child'])
    expect(result.take.map((l) => l.leaseKey)).toEqual(['orphan'])
  })

  it('counts a parent whose item exists but cannot be read as unfinished, not gone', () => {
    const leases = [lease('child', { parentShardIds: ['unreadable-parent'] })]
    expect(plan(leases).take.map((l) => l.leaseKey)).toEqual(['child'])
    const result = plan(leases, { unreadable: new Set(['unreadable-parent']) })
    expect(result.blocked).toEqual(['child'])
    expect(result.take).toEqual([])
  })

  it('hands off only from workers above the target, a bounded number per cycle', () => {
    const leases = [...owned('a', 5), ...owned('b', 3)]
    const result = plan(leases)
    expect(result.target).toBe(3)
    expect(result.take).toEqual([])
    expect(result.handoff).toHaveLength(1)
    expect(result.handoff[0]!.leaseOwner).toBe('a')
  })

  it('leaves settled shares alone', () => {
    // 8 shards, 3 workers at 3/3/2: the one at 2 is below target 3, the others are not above it.
    const leases = [...owned('a', 3), ...owned('b', 3), ...owned('me', 2)]
    const result = plan(leases, {
      held: new Set(leases.filter((l) => l.leaseOwner === 'me').map((l) => l.leaseKey)),
    })
    expect(result.take).toEqual([])
    expect(result.handoff).toEqual([])
  })

  it('does not hand off a lease already in a handoff, nor exceed maxLeases', () => {
    const busy = owned('a', 4).map((l) => ({ ...l, checkpointOwner: 'x' }))
    expect(plan(busy).handoff).toEqual([])
    expect(plan([lease('f1'), lease('f2'), lease('f3')], { maxLeases: 2 }).take).toHaveLength(2)
  })

  it('takes a lease left over by capped workers once it has stood free for two lease durations', () => {
    const watch = new LeaseWatch()
    const leases = [...owned('capped', 1), ...owned('me', 3), lease('left')]
    watch.observe(leases, 0)
    const held = new Set(leases.filter((l) => l.leaseOwner === 'me').map((l) => l.leaseKey))
    expect(plan(leases, { watch, held, now: F }).take).toEqual([])
    // Everyone but the free lease keeps renewing.
    const renewed = leases.map((l) => (l.leaseOwner ? { ...l, leaseCounter: 2 } : l))
    watch.observe(renewed, 2 * F)
    expect(plan(renewed, { watch, held, now: 2 * F + 1 }).take.map((l) => l.leaseKey)).toEqual([
      'left',
    ])
    expect(plan(renewed, { watch, held, now: 2 * F + 1, maxLeases: 3 }).take).toEqual([])
  })
})
