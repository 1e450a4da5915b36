import { describe, expect, it } from 'vitest'
import { renderShardTree } from './shard-tree.js'
import type { ShardInfo } from './stream-report.js'

const shard = (shardId: string, fields: Partial<ShardInfo> = {}): ShardInfo => ({
  shardId,
  parentShardId: null,
  adjacentParentShardId: null,
  open: true,
  startingHashKey: '0',
  endingHashKey: '1',
  hashKeyShare: 0.5,
  startingSequenceNumber: '1',
  endingSequenceNumber: null,
  incomingBytesPerMinute: null,
  outgoingBytesPerMinute: null,
  ...fields,
})

describe('renderShardTree', () => {
  it('draws a split under its parent and a merge under both of its parents', () => {
    const tree = renderShardTree([
      shard('s0', { open: false, hashKeyShare: 1 }),
      shard('s1', { open: false, parentShardId: 's0' }),
      shard('s2', { open: false, parentShardId: 's0' }),
      shard('s3', { parentShardId: 's1', adjacentParentShardId: 's2', hashKeyShare: 1 }),
    ])
    expect(tree).toBe(
      [
        's0 (closed, keys 100.00%)',
        '├── s1 (closed, keys 50.00%)',
        '│   └── s3 (open, keys 100.00%, merged with s2)',
        '└── s2 (closed, keys 50.00%)',
        '    └── s3 (merged; shown under s1)',
      ].join('\n'),
    )
  })

  it('keeps a shard whose parent has aged out as a root, and says so', () => {
    expect(renderShardTree([shard('s5', { parentShardId: 's4' })])).toBe(
      's5 (open, keys 50.00%, parent s4 expired)',
    )
  })
})
