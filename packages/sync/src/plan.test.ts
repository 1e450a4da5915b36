import { describe, expect, it } from 'vitest'
import type { ShardInfo } from './lineage.js'
import { planSync } from './plan.js'
import type { PlannedLease } from './planned-lease.js'

// A stream that was split and merged: 0 split into 2 and 3; then 3 and 1 merged into 4.
//   0 (closed) ─┬─ 2 (open)
//               └─ 3 (closed) ─┐
//   1 (closed) ────────────────┴─ 4 (open)
// Hash keys as Kinesis gives them: the open shards 2 and 4 cover [0, 2^128 − 1] between them.
const MAX = (1n << 128n) - 1n
const HALF = 1n << 127n
const QUARTER = 1n << 126n
const shard = (
  id: number,
  parents: number[],
  closed: boolean,
  start: bigint,
  end: bigint,
): ShardInfo => ({
  shardId: `shardId-${String(id).padStart(12, '0')}`,
  parentShardIds: parents.map((p) => `shardId-${String(p).padStart(12, '0')}`),
  startingHashKey: String(start),
  endingHashKey: String(end),
  closed,
})
const id = (n: number): string => `shardId-${String(n).padStart(12, '0')}`
const stream: ShardInfo[] = [
  shard(0, [], true, 0n, HALF - 1n),
  shard(1, [], true, HALF, MAX),
  shard(2, [0], false, 0n, QUARTER - 1n),
  shard(3, [0], true, QUARTER, HALF - 1n),
  shard(4, [3, 1], false, QUARTER, MAX),
]
const full = stream

const lease = (n: number, fields: Partial<PlannedLease> = {}): PlannedLease => ({
  leaseKey: id(n),
  checkpoint: 'TRIM_HORIZON',
  parentShardIds: stream.find((s) => s.shardId === id(n))?.parentShardIds ?? [],
  childShardIds: [],
  ...fields,
})

const T0 = Date.UTC(2026, 11, 3)
const CONFIRM = 10_000

describe('planSync, first pass', () => {
  it('TRIM_HORIZON leases every shard with its links, parents in an earlier generation than children', () => {
    const plan = planSync(stream, [], 'TRIM_HORIZON')
    expect(plan.create.map((g) => g.map((l) => l.shardId))).toEqual([
      [id(0), id(1)],
      [id(2), id(3)],
      [id(4)],
    ])
    const all = plan.create.flat()
    expect(all.every((l) => l.checkpoint === 'TRIM_HORIZON')).toBe(true)
    expect(all.find((l) => l.shardId === id(4))?.parentShardIds).toEqual([id(3), id(1)])
    expect(all.find((l) => l.shardId === id(0))?.childShardIds).toEqual([id(2), id(3)])
    expect(all.find((l) => l.shardId === id(2))?.childShardIds).toEqual([])
  })

  it('AT_TIMESTAMP writes its sentinel on every first-pass lease', () => {
    const plan = planSync(stream, [], 'AT_TIMESTAMP')
    expect(plan.create.flat()).toHaveLength(5)
    expect(plan.create.flat().every((l) => l.checkpoint === 'AT_TIMESTAMP')).toBe(true)
  })

  it('LATEST leases only the open shards at the tip', () => {
    const plan = planSync(stream, [], 'LATEST')
    expect(plan.create.flat().map((l) => [l.shardId, l.checkpoint])).toEqual([
      [id(2), 'LATEST'],
      [id(4), 'LATEST'],
    ])
  })
})

describe('planSync, later passes', () => {
  it('leases new children at TRIM_HORIZON whatever the initial position was', () => {
    const leases = [
      lease(0, { checkpoint: 'SHARD_END' }),
      lease(1, { checkpoint: '5' }),
      lease(2, { checkpoint: '7' }),
      lease(3, { checkpoint: 'SHARD_END' }),
    ]
    const plan = planSync(stream, leases, 'LATEST')
    expect(plan.create).toEqual([
      [
        expect.objectContaining({
          shardId: id(4),
          checkpoint: 'TRIM_HORIZON',
          parentShardIds: [id(3), id(1)],
        }),
      ],
    ])
  })

  it('never re-creates a parent that clean-up deleted, nor one a LATEST first pass skipped', () => {
    const leases = [lease(2, { checkpoint: 'LATEST' }), lease(4, { checkpoint: '99' })]
    const plan = planSync(stream, leases, 'TRIM_HORIZON')
    expect(plan.create).toEqual([])
  })

  it('adds missing parent and child links to existing leases', () => {
    const leases = [
      lease(0, { checkpoint: 'SHARD_END', childShardIds: [id(2)] }),
      lease(4, { parentShardIds: [id(3)] }),
      lease(1),
      lease(2),
      lease(3),
    ]
    const plan = planSync(stream, leases, 'TRIM_HORIZON')
    expect(plan.linkChildren).toEqual([
      { shardId: id(0), childShardIds: [id(3)] },
      { shardId: id(1), childShardIds: [id(4)] },
      { shardId: id(3), childShardIds: [id(4)] },
    ])
    expect(plan.linkParents).toEqual([{ shardId: id(4), parentShardIds: [id(1)] }])
  })

  it('ends unheld leases whose shard left the stream once two listings agree, but not held ones', () => {
    const current = stream.filter((s) => s.shardId !== id(0) && s.shardId !== id(1))
    const leases = [
      lease(0, { checkpoint: '12' }),
      lease(1, { checkpoint: '13', leaseOwner: 'worker-a' }),
      lease(2),
      lease(3),
      lease(4),
    ]
    // First listing without shard 0: mark it, end nothing (one listing may be wrong).
    const first = planSync(current, leases, 'TRIM_HORIZON', [], { now: T0 })
    expect(first).toMatchObject({ markAbsent: [id(0)], end: [], deletable: [] })
    const marked = [lease(0, { checkpoint: '12', shardAbsentSince: T0 }), ...leases.slice(1)]
    // Too soon after the first sighting: still nothing.
    const soon = planSync(current, marked, 'TRIM_HORIZON', [], { now: T0 + CONFIRM - 1 })
    expect(soon).toMatchObject({ markAbsent: [], end: [], deletable: [] })
    const confirmed = planSync(current, marked, 'TRIM_HORIZON', [], { now: T0 + CONFIRM })
    expect(confirmed).toMatchObject({ markAbsent: [], end: [id(0)], deletable: [] })
    // Without a time to compare with, no absence is ever confirmed.
    expect(planSync(current, marked, 'TRIM_HORIZON').end).toEqual([])
  })

  it('clears the mark of a shard the listing shows again, and never ends it', () => {
    const leases = [
      lease(0, { checkpoint: '12', shardAbsentSince: T0 }),
      lease(1),
      lease(2),
      lease(3),
      lease(4),
    ]
    const plan = planSync(stream, leases, 'TRIM_HORIZON', [], { now: T0 + 10 * CONFIRM })
    expect(plan).toMatchObject({
      clearAbsent: [{ shardId: id(0), since: T0 }],
      end: [],
      markAbsent: [],
    })
  })

  it('deletes a gone shard at SHARD_END and unheld only once two listings agree', () => {
    const current = stream.filter((s) => s.shardId !== id(0))
    const unmarked = planSync(
      current,
      [lease(0, { checkpoint: 'SHARD_END' }), lease(2), lease(3)],
      'TRIM_HORIZON',
      [],
      { now: T0 },
    )
    expect(unmarked).toMatchObject({ deletable: [], markAbsent: [id(0)] })
    const marked = [lease(0, { checkpoint: 'SHARD_END', shardAbsentSince: T0 }), lease(2), lease(3)]
    expect(
      planSync(current, marked, 'TRIM_HORIZON', [], { now: T0 + CONFIRM - 1 }).deletable,
    ).toEqual([])
    expect(planSync(current, marked, 'TRIM_HORIZON', [], { now: T0 + CONFIRM }).deletable).toEqual([
      id(0),
    ])
  })

  it('takes the confirmation delay from the options', () => {
    const current = stream.filter((s) => s.shardId !== id(0))
    const leases = [lease(0, { checkpoint: '1', shardAbsentSince: T0 }), lease(2), lease(3)]
    const at = (now: number, shardGoneConfirmMs: number) =>
      planSync(current, leases, 'TRIM_HORIZON', [], { now, shardGoneConfirmMs }).end
    expect(at(T0 + 59_999, 60_000)).toEqual([])
    expect(at(T0 + 60_000, 60_000)).toEqual([id(0)])
  })

  it('deletes a finished parent only after every child lease has started', () => {
    const base = [lease(1, { checkpoint: '5' }), lease(3, { checkpoint: 'SHARD_END' }), lease(4)]
    const notYet = planSync(
      stream,
      [lease(0, { checkpoint: 'SHARD_END' }), lease(2, { checkpoint: 'TRIM_HORIZON' }), ...base],
      'TRIM_HORIZON',
    )
    expect(notYet.deletable).not.toContain(id(0))
    const held = planSync(
      stream,
      [
        lease(0, { checkpoint: 'SHARD_END', leaseOwner: 'w' }),
        lease(2, { checkpoint: '8' }),
        ...base,
      ],
      'TRIM_HORIZON',
    )
    expect(held.deletable).not.toContain(id(0))
    const done = planSync(
      stream,
      [lease(0, { checkpoint: 'SHARD_END' }), lease(2, { checkpoint: '8' }), ...base],
      'TRIM_HORIZON',
    )
    expect(done.deletable).toContain(id(0))
    // 3 is finished but its child 4 has not started: it stays.
    expect(done.deletable).not.toContain(id(3))
  })

  it('counts a child that finished and was itself deleted as taken over', () => {
    const leases = [
      lease(0, { checkpoint: 'SHARD_END' }),
      lease(2, { checkpoint: '8' }),
      lease(4, { checkpoint: '9' }),
      lease(1, { checkpoint: 'SHARD_END' }),
    ]
    const plan = planSync(stream, leases, 'TRIM_HORIZON')
    expect(plan.deletable).toEqual([id(0), id(1)])
    expect(plan.create).toEqual([])
  })
})

describe('planSync on an odd listing: plans nothing, says why', () => {
  const leases = [
    lease(0, { checkpoint: '12', shardAbsentSince: T0 }),
    lease(1, { checkpoint: 'SHARD_END', shardAbsentSince: T0 }),
    lease(2, { checkpoint: '8' }),
    lease(3, { checkpoint: 'SHARD_END' }),
    lease(4, { checkpoint: '9' }),
  ]
  const nothing = {
    create: [],
    linkParents: [],
    linkChildren: [],
    end: [],
    deletable: [],
    markAbsent: [],
    clearAbsent: [],
  }
  const later = { now: T0 + 100 * CONFIRM }

  it('a listing with no open shard, while leases are not at SHARD_END', () => {
    const closedOnly = stream.filter((s) => s.closed)
    const plan = planSync(closedOnly, leases, 'TRIM_HORIZON', [], later)
    expect(plan).toMatchObject(nothing)
    expect(plan.skipped).toMatch(/no open shard .*3 leases are not at SHARD_END/)
    expect(planSync([], leases, 'TRIM_HORIZON', [], later).skipped).toMatch(/no open shard/)
  })

  it('a listing missing an open shard (a hole in the open hash-key range)', () => {
    // Shard 4 (open) is missing; its keys belong to no open shard.
    const plan = planSync(
      full.filter((s) => s.shardId !== id(4)),
      leases,
      'TRIM_HORIZON',
      [],
      later,
    )
    expect(plan).toMatchObject(nothing)
    expect(plan.skipped).toMatch(/no open shard covers hash keys .*an open shard is missing/)
  })

  it('a listing that names a shard twice', () => {
    const plan = planSync([...full, full[0]!], leases, 'TRIM_HORIZON', [], later)
    expect(plan).toMatchObject(nothing)
    expect(plan.skipped).toContain(`names ${id(0)} twice`)
  })

  it('a listing missing a shard this Sync saw open in its previous listing', () => {
    // Shard 4 closed and its child 5 covers its keys, but 4 cannot have aged out already.
    const after = [
      ...full.filter((s) => s.shardId !== id(4)),
      { ...full.find((s) => s.shardId === id(4))!, shardId: id(5), parentShardIds: [id(4)] },
    ]
    const plan = planSync(after, leases, 'TRIM_HORIZON', [], {
      ...later,
      previouslyOpen: new Set([id(2), id(4)]),
    })
    expect(plan).toMatchObject(nothing)
    expect(plan.skipped).toContain(`${id(4)} was open in the previous listing`)
  })

  it('but plans as usual from a listing where closed shards aged out', () => {
    // 0, 1 and 3 aged out; the open shards 2 and 4 still cover every key.
    const aged = full.filter((s) => !s.closed)
    const plan = planSync(aged, leases, 'TRIM_HORIZON', [], {
      ...later,
      previouslyOpen: new Set([id(2), id(4)]),
    })
    expect(plan.skipped).toBeUndefined()
    expect(plan.end).toEqual([id(0)])
    expect(plan.deletable).toEqual([id(1)])
    expect(plan.markAbsent).toEqual([id(3)])
  })
})
