import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type GetRecordsCommandOutput,
  type KinesisClient,
} from '@aws-sdk/client-kinesis'
import { describe, expect, it } from 'vitest'
import { PullProgress } from './progress.js'
import { runPull, type PullOptions, type PullShard } from './pull-session.js'
import type { RecordSink } from './record-sink.js'

// A fake KinesisClient (only `send`), so that cases kinesis-local makes slow or awkward (a
// merge, many shards racing for --max) run fast: each shard is a list of pages; the last page
// ends the shard and names its children.
interface FakeShard {
  readonly pages: string[][]
  readonly children?: { shardId: string; parents: string[] }[]
  /** Keep answering empty, caught-up pages after the last one instead of ending. */
  readonly open?: boolean
}

function fakeKinesis(shards: Record<string, FakeShard>): {
  client: KinesisClient
  calls: string[]
} {
  const calls: string[] = []
  let seq = 1000
  const send = (command: unknown): Promise<unknown> => {
    if (command instanceof GetShardIteratorCommand) {
      calls.push(`iterator ${command.input.ShardId}`)
      return Promise.resolve({ ShardIterator: `${command.input.ShardId}|0` })
    }
    if (command instanceof GetRecordsCommand) {
      const [shardId = '', index = '0'] = (command.input.ShardIterator ?? '').split('|')
      const shard = shards[shardId]
      const page = Number(index)
      calls.push(`records ${shardId} ${page}`)
      const data = shard?.pages[page] ?? []
      const last = page >= (shard?.pages.length ?? 0) - 1
      const output: Partial<GetRecordsCommandOutput> = {
        Records: data.map((d) => ({
          Data: new TextEncoder().encode(d),
          PartitionKey: 'pk',
          SequenceNumber: String(++seq),
          ApproximateArrivalTimestamp: new Date(0),
        })),
        MillisBehindLatest: last ? 0 : 1000,
      }
      if (!last || shard?.open === true) {
        output.NextShardIterator = `${shardId}|${last ? page : page + 1}`
      } else {
        output.ChildShards = (shard?.children ?? []).map((c) => ({
          ShardId: c.shardId,
          ParentShards: c.parents,
          HashKeyRange: { StartingHashKey: '0', EndingHashKey: '1' },
        }))
      }
      return Promise.resolve(output)
    }
    // A shard that ends without children: the reader checks the listing for any.
    if (command instanceof ListShardsCommand) return Promise.resolve({ Shards: [] })
    return Promise.reject(new Error(`unexpected command ${String(command)}`))
  }
  return { client: { send } as unknown as KinesisClient, calls }
}

function memorySink(): RecordSink & { lines: string[]; byShard: Map<string, string[]> } {
  const lines: string[] = []
  const byShard = new Map<string, string[]>()
  return {
    lines,
    byShard,
    write: (shardId, chunk) => {
      const got = chunk.split('\n').slice(0, -1)
      lines.push(...got)
      byShard.set(shardId, [...(byShard.get(shardId) ?? []), ...got])
      return Promise.resolve()
    },
    close: () => Promise.resolve(),
  }
}

const base = (client: KinesisClient, shards: PullShard[], sink: RecordSink): PullOptions => ({
  client,
  streamName: 's',
  shards,
  position: 'TRIM_HORIZON',
  childPosition: 'TRIM_HORIZON',
  followChildren: false,
  format: 'text',
  sink,
  progress: new PullProgress({ mode: 'quiet', write: () => {} }),
  signal: new AbortController().signal,
})

describe('runPull', () => {
  it('reads a merged child only once both parents have ended, and only once', async () => {
    const { client, calls } = fakeKinesis({
      a: { pages: [['a1'], ['a2'], ['a3']], children: [{ shardId: 'c', parents: ['a', 'b'] }] },
      b: { pages: [['b1']], children: [{ shardId: 'c', parents: ['a', 'b'] }] },
      c: { pages: [['c1', 'c2']] },
    })
    const sink = memorySink()
    const result = await runPull({
      ...base(
        client,
        [
          { shardId: 'a', parentShardIds: [] },
          { shardId: 'b', parentShardIds: [] },
        ],
        sink,
      ),
      followChildren: true,
    })
    expect(result).toEqual({ end: 'ended', records: 6 })
    expect(sink.lines.slice(-2)).toEqual(['c1', 'c2'])
    expect(calls.filter((c) => c === 'iterator c')).toHaveLength(1)
    // c's first read comes after a's last page.
    expect(calls.indexOf('records c 0')).toBeGreaterThan(calls.indexOf('records a 2'))
  })

  it('waits for a parent among the chosen shards even without --follow-children', async () => {
    const { client, calls } = fakeKinesis({
      p: { pages: [['p1'], ['p2']], children: [{ shardId: 'k', parents: ['p'] }] },
      k: { pages: [['k1']] },
    })
    const sink = memorySink()
    const result = await runPull(
      base(
        client,
        [
          { shardId: 'k', parentShardIds: ['p'] },
          { shardId: 'p', parentShardIds: [] },
        ],
        sink,
      ),
    )
    expect(result.end).toBe('ended')
    expect(sink.lines).toEqual(['p1', 'p2', 'k1'])
    expect(calls.indexOf('iterator k')).toBeGreaterThan(calls.indexOf('records p 1'))
  })

  it('never writes more than --max records, even with many shards reading at once', async () => {
    const shards: Record<string, FakeShard> = {}
    for (let i = 0; i < 6; i++)
      shards[`s${i}`] = {
        pages: [
          ['1', '2', '3'],
          ['4', '5', '6'],
        ],
        open: true,
      }
    const { client } = fakeKinesis(shards)
    const sink = memorySink()
    const result = await runPull({
      ...base(
        client,
        Object.keys(shards).map((shardId) => ({ shardId, parentShardIds: [] })),
        sink,
      ),
      max: 7,
    })
    expect(result).toEqual({ end: 'max', records: 7 })
    expect(sink.lines).toHaveLength(7)
  })

  it('--until-caught-up ends once every shard gave an empty batch at MillisBehindLatest 0', async () => {
    const { client } = fakeKinesis({
      x: { pages: [['x1'], ['x2'], []], open: true },
      y: { pages: [[]], open: true },
    })
    const sink = memorySink()
    const result = await runPull({
      ...base(
        client,
        [
          { shardId: 'x', parentShardIds: [] },
          { shardId: 'y', parentShardIds: [] },
        ],
        sink,
      ),
      untilCaughtUp: true,
    })
    expect(result).toEqual({ end: 'caught-up', records: 2 })
    expect(sink.lines).toEqual(['x1', 'x2'])
  })

  it('an abort of the signal (Ctrl-C) ends it as interrupted, after the write in progress', async () => {
    const { client } = fakeKinesis({ z: { pages: [['z1']], open: true } })
    const interrupt = new AbortController()
    let release: () => void = () => {}
    let writing: () => void = () => {}
    const writeStarted = new Promise<void>((resolve) => (writing = resolve))
    const sink = memorySink()
    const slowSink: RecordSink = {
      // The write blocks until released; the interrupt arrives in the middle of it.
      write: (shardId, chunk) =>
        new Promise<void>((resolve) => {
          release = () => void sink.write(shardId, chunk).then(resolve)
          interrupt.abort()
          writing()
        }),
      close: () => Promise.resolve(),
    }
    const running = runPull({
      ...base(client, [{ shardId: 'z', parentShardIds: [] }], slowSink),
      signal: interrupt.signal,
    })
    await writeStarted
    release()
    const result = await running
    expect(result.end).toBe('interrupted')
    expect(sink.lines).toEqual(['z1'])
  })

  it('fails with the error a shard cannot get past, after stopping the others', async () => {
    const { client: good } = fakeKinesis({ ok: { pages: [[]], open: true } })
    const client = {
      send: (command: unknown) =>
        command instanceof GetShardIteratorCommand && command.input.ShardId === 'bad'
          ? Promise.reject(Object.assign(new Error('no access'), { name: 'AccessDeniedException' }))
          : good.send(command as GetRecordsCommand),
    } as unknown as KinesisClient
    await expect(
      runPull(
        base(
          client,
          [
            { shardId: 'ok', parentShardIds: [] },
            { shardId: 'bad', parentShardIds: [] },
          ],
          memorySink(),
        ),
      ),
    ).rejects.toMatchObject({ code: 'ACCESS_DENIED' })
  })
})
