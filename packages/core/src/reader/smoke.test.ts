import { expect, it } from 'vitest'
import { ManualClock } from '../clock.js'
import { ShardReader } from './shard-reader.js'
import { FakeShard, fakeClient, sdkClient, settle } from '../../test/shard-reader-fakes.js'

it('smoke', async () => {
  const clock = new ManualClock()
  const shard = new FakeShard('shardId-000000000000', clock)
  shard.putMany(25)
  shard.closed = true
  shard.childShards = [{ ShardId: 'shardId-000000000001', ParentShards: ['shardId-000000000000'], HashKeyRange: { StartingHashKey: '0', EndingHashKey: '10' } }]
  for (const client of [fakeClient(shard), sdkClient(shard)]) {
    const reader = new ShardReader({ client, streamName: 's', shardId: shard.shardId, position: 'TRIM_HORIZON', limit: 10, clock })
    const out: string[] = []
    let end: unknown
    const p = (async () => { for await (const b of reader) { out.push(...b.records.map((r) => new TextDecoder().decode(r.data))); if (b.shardEnded) end = b.childShards } })()
    for (let i = 0; i < 300 && end === undefined; i++) { await clock.advance(10); await settle(2) }
    await p
    console.log(out.length, end, shard.calls.map(c => `${c.op}@${c.at}`).join(' '))
    expect(out).toHaveLength(25)
  }
})
