// The live view's text: what someone watching `pnpm demo` reads for each shard.
import { describe, expect, it } from 'vitest'
import type { Lease } from '@kine/core'
import { renderLine, renderTable, type ShardRow } from './display.js'

const lease = (leaseKey: string, leaseOwner: string, checkpoint: string): Lease =>
  ({ leaseKey, leaseOwner, checkpoint }) as Lease

const rows: ShardRow[] = [
  {
    shardId: 'shardId-000000000000',
    lease: lease('shardId-000000000000', 'worker-1', '49650000000000000000000000000012345678'),
    open: false,
    lag: 0,
  },
  {
    shardId: 'shardId-000000000004',
    lease: lease('shardId-000000000004', 'worker-3', 'TRIM_HORIZON'),
    open: true,
    lag: 17,
  },
  { shardId: 'shardId-000000000005', lease: undefined, open: true, lag: 3 },
]

describe('the live view', () => {
  it('shows each shard by its short name with state, owner, checkpoint tail and lag', () => {
    const text = renderTable(12.4, rows, 900, 880, ['e1', 'e2'])
    expect(text).toContain('produced 900   processed 880')
    expect(text).toMatch(/^#0 +closed +worker-1 +…12345678 +0$/m)
    expect(text).toMatch(/^#4 +open +worker-3 +TRIM_HORIZON +17$/m)
    expect(text).toMatch(/^#5 +open +- +\(no lease yet\) +3$/m)
    expect(text.endsWith('e1\ne2')).toBe(true)
  })

  it('keeps only the last six events on screen', () => {
    const events = Array.from({ length: 9 }, (_, i) => `event ${i}`)
    const text = renderTable(1, [], 0, 0, events)
    expect(text).not.toContain('event 2')
    expect(text).toContain('event 3')
    expect(text).toContain('event 8')
  })

  it('prints one plain status line with owner/lag per shard', () => {
    expect(renderLine(30, rows, 900, 880)).toBe(
      't=30s produced=900 processed=880 owner/lag: #0:worker-1/0 #4:worker-3/17 #5:-/3',
    )
  })
})
