import { describe, expect, it } from 'vitest'
import { Ledger } from './ledger.js'

const rec = (key: string, n: number) => ({
  key,
  n,
  sequenceNumber: String(1000 + n),
  subSequenceNumber: 0,
})
const noParents = (): string[] => []

describe('Ledger', () => {
  it('passes when every produced record was delivered in per-key order, duplicates allowed', () => {
    const l = new Ledger()
    for (let n = 0; n < 3; n++) l.produced('a', n, 's0')
    l.delivered('s0', [rec('a', 0), rec('a', 1)], noParents)
    l.delivered('s0', [rec('a', 1), rec('a', 2)], noParents) // a redelivery after a failover
    expect(l.verdict()).toMatchObject({
      produced: 3,
      processed: 3,
      lost: 0,
      duplicates: 1,
      orderViolations: 0,
      ok: true,
    })
  })

  it('fails on a lost record', () => {
    const l = new Ledger()
    l.produced('a', 0, 's0')
    l.produced('a', 1, 's0')
    l.delivered('s0', [rec('a', 0)], noParents)
    expect(l.verdict()).toMatchObject({ lost: 1, ok: false })
    expect(l.lag('s0')).toBe(1)
  })

  it('counts order violations on first delivery only', () => {
    const l = new Ledger()
    for (let n = 0; n < 3; n++) l.produced('a', n, 's0')
    l.delivered('s0', [rec('a', 0), rec('a', 2)], noParents)
    l.delivered('s0', [rec('a', 1)], noParents)
    expect(l.verdict()).toMatchObject({ orderViolations: 1, ok: false })
  })

  it('flags a child shard that started before its parent ended', () => {
    const l = new Ledger()
    l.produced('a', 0, 'parent')
    l.produced('a', 1, 'child')
    const parents = (s: string): string[] => (s === 'child' ? ['parent'] : [])
    l.delivered('child', [rec('a', 1)], parents)
    l.delivered('parent', [rec('a', 0)], parents)
    l.shardEnded('parent')
    expect(l.verdict()).toMatchObject({ childrenBeforeParents: 1, ok: false })

    const good = new Ledger()
    good.produced('a', 0, 'parent')
    good.produced('a', 1, 'child')
    good.delivered('parent', [rec('a', 0)], parents)
    good.shardEnded('parent')
    good.delivered('child', [rec('a', 1)], parents)
    expect(good.verdict()).toMatchObject({ childrenBeforeParents: 0, orderViolations: 0, ok: true })
  })

  it('fails when nothing was produced, and on records nobody produced', () => {
    expect(new Ledger().verdict().ok).toBe(false)
    const l = new Ledger()
    l.produced('a', 0, 's0')
    l.delivered('s0', [rec('a', 0), rec('zzz', 9)], noParents)
    expect(l.verdict()).toMatchObject({ unknown: 1, ok: false })
  })
})
