// Rewriting answers into malformed ones, and the CRC-32 the proxy puts back on DynamoDB bodies.
import { describe, expect, it } from 'vitest'
import { crc32 } from './crc32.js'
import { dropField } from './malformed.js'

describe('dropField', () => {
  it('drops ParentShards from every ChildShards entry, and nothing from an answer without them', () => {
    const body = {
      Records: [],
      ChildShards: [
        { ShardId: 'shardId-000000000004', ParentShards: ['shardId-000000000000'] },
        { ShardId: 'shardId-000000000005', ParentShards: ['shardId-000000000000'] },
      ],
    }
    expect(dropField(body, 'ParentShards')).toBe(true)
    expect(body.ChildShards).toEqual([
      { ShardId: 'shardId-000000000004' },
      { ShardId: 'shardId-000000000005' },
    ])
    expect(dropField({ Records: [], NextShardIterator: 'x' }, 'ParentShards')).toBe(false)
  })

  it('drops a top-level field only when it is there', () => {
    const body: Record<string, unknown> = { Items: [], Count: 0 }
    expect(dropField(body, 'Items')).toBe(true)
    expect(body).toEqual({ Count: 0 })
    expect(dropField(body, 'Items')).toBe(false)
  })
})

describe('crc32', () => {
  it('gives the IEEE check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
  })
})
