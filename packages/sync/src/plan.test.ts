import { describe, expect, it } from 'vitest'
import type { ShardInfo } from './lineage.js'
import { planSync, type PlannedLease } from './plan.js'

// A stream that was split and merged: 0 split into 2 and 3; then 3 and 1 merged into 4.
//   0 (closed) ─┬─ 2 (open)
//               └─ 3 (closed) ─┐
//   1 (closed) ────────────────┴─ 4 (open)
const shard = (id: number, parents: number[], closed: boolean): ShardInfo => ({
  shardId: `shardId-${String(id).padStart(12, '0')}`,
  parentShardIds: parents.map((p) => `shardId-${String(p).padStart(12, '0')}`),
  startingHashKey: String(id * 100),
  endingHashKey: String(id * 100 + 99),
  closed,
})
const id = (n: number): string => `shardId-${String(n).padStart(12, '0')}`
const stream: ShardInfo[] = [
  shard(0, [], true),
  shard(1, [], true),
  shard(2, [0], false),
  shard(3, [0], true),
  shard(4, [3, 1], false),
]

const lease = (n: number, fields: Partial<PlannedLease> = {}): PlannedLease => ({
  leaseKey: id(n),
  checkpoint: 'TRIM_HORIZON',
  parentShardIds: stream.find((s) => s.shardId === id(n))?.parentShardIds ?? [],
  childShardIds: [],
  ...fields,
})

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

  it('ends unheld leases whose shard left the stream, but not held ones', () => {
    const current = stream.filter((s) => s.shardId !== id(0) && s.shardId !== id(1))
    const leases = [
      lease(0, { checkpoint: '12' }),
      lease(1, { checkpoint: '13', leaseOwner: 'worker-a' }),
      lease(2),
      lease(3),
      lease(4),
    ]
    const plan = planSync(current, leases, 'TRIM_HORIZON')
    expect(plan.end).toEqual([id(0)])
    expect(plan.deletable).toEqual([])
  })

  it('deletes a gone shard once it is at SHARD_END and unheld', () => {
    const current = stream.filter((s) => s.shardId !== id(0))
    const plan = planSync(
      current,
      [lease(0, { checkpoint: 'SHARD_END' }), lease(2), lease(3)],
      'TRIM_HORIZON',
    )
    expect(plan.deletable).toEqual([id(0)])
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
