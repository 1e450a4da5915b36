// The ledger's verdict: losses, duplicates per phase and batch, order, parents first, resumption;
// and the per-shard lag the demo's live view shows.
import { describe, expect, it } from 'vitest'
import { Ledger } from './ledger.js'

const none = (): string[] => []

describe('Ledger', () => {
  it('passes every record delivered in per-key order; counts duplicates per phase and batch', () => {
    const l = new Ledger()
    for (let n = 0; n < 4; n++) l.produced('a', n, 's0', n * 1000)
    l.delivered(
      's0',
      [
        { key: 'a', n: 0 },
        { key: 'a', n: 1 },
      ],
      none,
    )
    l.mark('outage', 1500)
    l.delivered(
      's0',
      [
        { key: 'a', n: 1 },
        { key: 'a', n: 2 },
      ],
      none,
    )
    l.delivered(
      's0',
      [
        { key: 'a', n: 2 },
        { key: 'a', n: 3 },
      ],
      none,
    )
    const v = l.verdict(2000)
    expect(v).toMatchObject({
      produced: 4,
      processed: 4,
      lost: 0,
      duplicates: 2,
      orderViolations: 0,
    })
    expect(v.phases).toEqual([
      { label: 'start', fromMs: 0, duplicates: 0, maxDuplicateBatchesPerShard: 0 },
      { label: 'outage', fromMs: 1500, duplicates: 2, maxDuplicateBatchesPerShard: 2 },
    ])
    expect(v).toMatchObject({ producedAfterFaults: 2, processedAfterFaults: 2, resumed: true })
  })

  it('reports losses by shard, and no resumption when a record after the faults is missing', () => {
    const l = new Ledger()
    l.produced('a', 0, 's0', 0)
    l.produced('b', 0, 's1', 100)
    l.produced('b', 1, 's1', 5000)
    l.delivered('s0', [{ key: 'a', n: 0 }], none)
    const v = l.verdict(4000)
    expect(v.lost).toBe(2)
    expect(v.resumed).toBe(false)
    expect(v.losses).toEqual([
      { shardId: 's1', lost: 2, producedFromMs: 100, producedToMs: 5000, examples: ['b#0', 'b#1'] },
    ])
  })

  it('counts order violations on first deliveries and children read before a parent ended', () => {
    const l = new Ledger()
    for (let n = 0; n < 3; n++) l.produced('a', n, n === 2 ? 'child' : 'parent', n)
    const parents = (s: string): string[] => (s === 'child' ? ['parent'] : [])
    l.delivered('child', [{ key: 'a', n: 2 }], parents)
    l.delivered(
      'parent',
      [
        { key: 'a', n: 0 },
        { key: 'a', n: 1 },
      ],
      parents,
    )
    l.shardEnded('parent')
    const v = l.verdict(0)
    expect(v).toMatchObject({ orderViolations: 2, childrenBeforeParents: 1, lost: 0 })
  })

  it('flags records nobody produced', () => {
    const l = new Ledger()
    l.produced('a', 0, 's0', 0)
    l.delivered(
      's0',
      [
        { key: 'a', n: 0 },
        { key: 'zzz', n: 9 },
      ],
      none,
    )
    expect(l.verdict(0).unknown).toBe(1)
  })

  it('shows the lag of a shard: produced there and not yet delivered, redeliveries not counted', () => {
    const l = new Ledger()
    for (let n = 0; n < 3; n++) l.produced('a', n, 's0', n)
    l.produced('b', 0, 's1', 0)
    l.delivered('s0', [{ key: 'a', n: 0, sequenceNumber: '1000', subSequenceNumber: 0 }], none)
    l.delivered('s0', [{ key: 'a', n: 0 }], none)
    expect([l.lag('s0'), l.lag('s1'), l.lag('unknown')]).toEqual([2, 1, 0])
    expect([l.producedCount, l.processedCount]).toEqual([4, 1])
  })

  it('counts a record delivered before its PutRecords acknowledgement was read', () => {
    const l = new Ledger()
    l.produced('a', 0, 's0', 0)
    const batch = [0, 1].map((n) => ({ key: 'a', n }))
    l.delivered('s0', batch, none) // a#1's PutRecords answer is still on its way
    expect(l.processedCount).toBe(1)
    l.produced('a', 1, 's0', 10)
    expect(l.processedCount).toBe(2)
    expect(l.verdict(0)).toMatchObject({ processed: 2, lost: 0, unknown: 0, orderViolations: 0 })
  })
})
