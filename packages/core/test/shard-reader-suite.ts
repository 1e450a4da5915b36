// The ShardReader's integration suite, run against each local emulator by one test file per
// engine (one emulator per file). Volumes stay at a few hundred records per shard: kinesis-local
// slows down as a shard fills.
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  SplitShardCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis'
import {
  aggregateRecords,
  createStream,
  kinesisClient,
  putRecords,
  startKinesis,
  waitForStreamActive,
  type KinesisEngine,
  type LocalKinesis,
  type PutResult,
} from '@kine-tools/local'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ResourceNotFoundError } from '../src/errors.js'
import type { MetricName, MetricsSink } from '../src/metrics.js'
import type { KineRecord } from '../src/record.js'
import { ShardReader, type ShardBatch } from '../src/reader/shard-reader.js'
import type { ShardPosition } from '../src/reader/iterator-position.js'
import type { ShardReaderOptions } from '../src/reader/shard-reader-options.js'

const text = (data: Uint8Array): string =>
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')

function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
}

/** Records put in order, grouped by the shard they went to (each group in shard order). */
function byShard(items: readonly string[], results: readonly PutResult[]): Map<string, string[]> {
  const groups = new Map<string, { seq: bigint; data: string }[]>()
  results.forEach((r, i) => {
    const group = groups.get(r.shardId) ?? []
    group.push({ seq: BigInt(r.sequenceNumber), data: items[i] as string })
    groups.set(r.shardId, group)
  })
  return new Map(
    [...groups].map(([shard, group]) => [
      shard,
      group.sort((a, b) => (a.seq < b.seq ? -1 : 1)).map((g) => g.data),
    ]),
  )
}

/**
 * `client` with every answer passed through `alter` (by command name and call number of that
 * command), the way a faulty service or proxy would hand it back: the emulator still does the work.
 */
function altering(
  client: KinesisClient,
  alter: (command: string, call: number, output: Record<string, unknown>) => void,
): KinesisClient {
  const calls = new Map<string, number>()
  return new Proxy(client, {
    get: (target, property, receiver) =>
      property === 'send'
        ? async (command: object, options: unknown) => {
            const output = await (
              target.send as (c: object, o: unknown) => Promise<Record<string, unknown>>
            )(command, options)
            const name = command.constructor.name.replace(/Command$/, '')
            const call = (calls.get(name) ?? 0) + 1
            calls.set(name, call)
            alter(name, call, output)
            return output
          }
        : (Reflect.get(target, property, receiver) as unknown),
  })
}

function counter(): MetricsSink & { sum(name: MetricName): number } {
  const rows: { name: MetricName; value: number }[] = []
  return {
    record: (name, value) => rows.push({ name, value }),
    sum: (name) => rows.filter((r) => r.name === name).reduce((n, r) => n + r.value, 0),
  }
}

export function describeShardReader(engine: KinesisEngine): void {
  let kinesis: LocalKinesis
  let client: KinesisClient

  beforeAll(async () => {
    kinesis = await startKinesis({ engine, durations: { SPLIT_SHARD_DURATION: '100ms' } })
    client = kinesisClient(kinesis.endpoint)
  })
  afterAll(async () => {
    client?.destroy()
    await kinesis?.stop()
  })

  function reader(
    streamName: string,
    shardId: string,
    position: ShardPosition,
    more: Partial<ShardReaderOptions> = {},
  ): ShardReader {
    return new ShardReader({
      client,
      streamName,
      shardId,
      position,
      idleWaitMs: 50,
      signal: AbortSignal.timeout(30_000),
      ...more,
    })
  }

  /**
   * Reads until `expected` user records have come and a batch came back empty (caught up), or the
   * shard ended. Returns the records and the last batch.
   */
  async function readAll(
    shardReader: ShardReader,
    expected: number,
    onBatch?: (batch: ShardBatch) => void,
  ): Promise<{ records: KineRecord[]; last: ShardBatch | undefined }> {
    const records: KineRecord[] = []
    let last: ShardBatch | undefined
    for await (const batch of shardReader) {
      last = batch
      onBatch?.(batch)
      records.push(...batch.records)
      if (batch.shardEnded) break
      if (batch.records.length === 0 && records.length >= expected) break
    }
    return { records, last }
  }

  describe(`ShardReader on ${engine}: every position of a 4-shard stream`, () => {
    const stream = uniqueName('reader-positions')
    let shardIds: string[]
    let batchA: Map<string, string[]>
    let batchB: Map<string, string[]>
    let startOfB: Date

    beforeAll(async () => {
      await createStream(client, stream, 4)
      const listed = await client.send(new ListShardsCommand({ StreamName: stream }))
      shardIds = (listed.Shards ?? []).map((s) => s.ShardId as string)
      const a = Array.from({ length: 400 }, (_, i) => `a-${i}`)
      batchA = byShard(
        a,
        await putRecords(
          client,
          stream,
          a.map((data, i) => ({ data, partitionKey: `pk-${i}` })),
        ),
      )
      // Arrival times may be kept to the second: leave a clear gap on both sides of the timestamp.
      await sleep(1_100)
      startOfB = new Date()
      await sleep(1_100)
      const b = Array.from({ length: 40 }, (_, i) => `b-${i}`)
      batchB = byShard(
        b,
        await putRecords(
          client,
          stream,
          b.map((data, i) => ({ data, partitionKey: `pk-b-${i}` })),
        ),
      )
    })

    it('spreads the test records over all 4 shards', () => {
      expect(shardIds).toHaveLength(4)
      for (const shardId of shardIds) expect(batchA.get(shardId)?.length ?? 0).toBeGreaterThan(40)
    })

    it('reads every record of every shard, in order, from TRIM_HORIZON', async () => {
      for (const shardId of shardIds) {
        const expected = [...(batchA.get(shardId) ?? []), ...(batchB.get(shardId) ?? [])]
        const { records } = await readAll(reader(stream, shardId, 'TRIM_HORIZON'), expected.length)
        expect(records.map((r) => text(r.data))).toEqual(expected)
        expect(
          records.every((r) => r.shardId === shardId && r.subSequenceNumber === 0 && !r.aggregated),
        ).toBe(true)
      }
    })

    it('reads from AT_TIMESTAMP only what arrived after it', async () => {
      for (const shardId of shardIds) {
        const expected = batchB.get(shardId) ?? []
        const { records } = await readAll(
          reader(stream, shardId, { type: 'AT_TIMESTAMP', timestamp: startOfB }),
          expected.length,
        )
        expect(records.map((r) => text(r.data))).toEqual(expected)
      }
    })

    it('reads from AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER', async () => {
      for (const shardId of shardIds) {
        const all = [...(batchA.get(shardId) ?? []), ...(batchB.get(shardId) ?? [])]
        const { records } = await readAll(reader(stream, shardId, 'TRIM_HORIZON'), all.length)
        const fifth = records[4] as KineRecord
        const at = await readAll(
          reader(stream, shardId, {
            type: 'AT_SEQUENCE_NUMBER',
            sequenceNumber: fifth.sequenceNumber,
          }),
          all.length - 4,
        )
        expect(at.records.map((r) => text(r.data))).toEqual(all.slice(4))
        const after = await readAll(
          reader(stream, shardId, {
            type: 'AFTER_SEQUENCE_NUMBER',
            sequenceNumber: fifth.sequenceNumber,
          }),
          all.length - 5,
        )
        expect(after.records.map((r) => text(r.data))).toEqual(all.slice(5))
      }
    })

    it('reads from LATEST only what is written after it started', async () => {
      let started = 0
      const readers = shardIds.map((shardId) => ({
        shardId,
        reader: reader(stream, shardId, 'LATEST'),
      }))
      const reads = readers.map(({ reader: r }) => {
        let first = true
        return readAll(r, 1, () => {
          if (first) started++
          first = false
        }).then((out) => out.records)
      })
      // Put only once every reader holds its iterator (its first, empty batch has come).
      while (started < shardIds.length) await sleep(20)
      const c = Array.from({ length: 40 }, (_, i) => `c-${i}`)
      const batchC = byShard(
        c,
        await putRecords(
          client,
          stream,
          c.map((data, i) => ({ data, partitionKey: `pk-c-${i}` })),
        ),
      )
      // Readers stop at their first empty batch after one record; read the rest from where they stopped.
      for (const [i, { shardId, reader: r }] of readers.entries()) {
        const expected = batchC.get(shardId) ?? []
        const first = await (reads[i] as Promise<KineRecord[]>)
        const rest =
          first.length >= expected.length
            ? []
            : (await readAll(r, expected.length - first.length)).records
        expect([...first, ...rest].map((x) => text(x.data))).toEqual(expected)
      }
    })
  })

  describe(`ShardReader on ${engine}: KPL aggregates`, () => {
    it('de-aggregates user records with sub-sequence numbers and resumes from a checkpoint inside one', async () => {
      const stream = uniqueName('reader-kpl')
      await createStream(client, stream, 1)
      const aggregate = aggregateRecords(
        ['u0', 'u1', 'u2', 'u3', 'u4'].map((data, i) => ({ data, partitionKey: `user-${i}` })),
      )
      const put = await putRecords(client, stream, [
        { data: 'plain-0', partitionKey: 'p' },
        { data: aggregate.data, partitionKey: aggregate.partitionKey },
        { data: 'plain-1', partitionKey: 'p' },
      ])
      const shardId = (put[0] as PutResult).shardId
      const aggregateSeq = (put[1] as PutResult).sequenceNumber

      const { records } = await readAll(reader(stream, shardId, 'TRIM_HORIZON'), 7)
      expect(
        records.map((r) => [
          text(r.data),
          r.partitionKey,
          r.sequenceNumber === aggregateSeq,
          r.subSequenceNumber,
          r.aggregated,
        ]),
      ).toEqual([
        ['plain-0', 'p', false, 0, false],
        ['u0', 'user-0', true, 0, true],
        ['u1', 'user-1', true, 1, true],
        ['u2', 'user-2', true, 2, true],
        ['u3', 'user-3', true, 3, true],
        ['u4', 'user-4', true, 4, true],
        ['plain-1', 'p', false, 0, false],
      ])

      const resumed = await readAll(
        reader(stream, shardId, {
          type: 'AFTER_CHECKPOINT',
          sequenceNumber: aggregateSeq,
          subSequenceNumber: 2,
        }),
        3,
      )
      expect(resumed.records.map((r) => text(r.data))).toEqual(['u3', 'u4', 'plain-1'])
    })
  })

  describe(`ShardReader on ${engine}: resharding`, () => {
    it('reads a split parent to its end and gets its two children', async () => {
      const stream = uniqueName('reader-split')
      await createStream(client, stream, 1)
      const listed = await client.send(new ListShardsCommand({ StreamName: stream }))
      const parent = listed.Shards?.[0]?.ShardId as string
      const before = Array.from({ length: 30 }, (_, i) => `before-${i}`)
      await putRecords(
        client,
        stream,
        before.map((data, i) => ({ data, partitionKey: `k-${i}` })),
      )

      const middle = 2n ** 127n
      await client.send(
        new SplitShardCommand({
          StreamName: stream,
          ShardToSplit: parent,
          NewStartingHashKey: middle.toString(),
        }),
      )
      await waitForStreamActive(client, stream)
      const after = Array.from({ length: 20 }, (_, i) => `after-${i}`)
      const afterPut = await putRecords(
        client,
        stream,
        after.map((data, i) => ({ data, partitionKey: `k-${i}` })),
      )

      // Counts the commands the reader sends (the real client still runs them, middleware and all).
      const sent: string[] = []
      const counting = new Proxy(client, {
        get: (target, property, receiver) =>
          property === 'send'
            ? (command: object, options: unknown) => {
                sent.push(command.constructor.name)
                return (target.send as (c: object, o: unknown) => Promise<unknown>)(
                  command,
                  options,
                )
              }
            : (Reflect.get(target, property, receiver) as unknown),
      })
      const { records, last } = await readAll(
        reader(stream, parent, 'TRIM_HORIZON', { client: counting }),
        before.length,
      )
      expect(records.map((r) => text(r.data))).toEqual(before)
      // kinesis-local names the children in its last response; kinesalite does not, so ListShards.
      expect(sent.includes('ListShardsCommand')).toBe(engine === 'kinesalite')
      expect(last?.shardEnded).toBe(true)
      const children = [...(last?.childShards ?? [])].sort((a, b) =>
        a.shardId.localeCompare(b.shardId),
      )
      expect(children).toHaveLength(2)
      for (const child of children) expect(child.parentShardIds).toEqual([parent])
      expect(children.map((c) => c.hashKeyRange)).toEqual([
        { startingHashKey: '0', endingHashKey: (middle - 1n).toString() },
        { startingHashKey: middle.toString(), endingHashKey: (2n ** 128n - 1n).toString() },
      ])
      expect(new Set(afterPut.map((p) => p.shardId))).toEqual(
        new Set(children.map((c) => c.shardId)),
      )

      // The children hold what was written after the split.
      const fromChildren: string[] = []
      for (const child of children) {
        const expected = afterPut.filter((p) => p.shardId === child.shardId).length
        const read = await readAll(reader(stream, child.shardId, 'TRIM_HORIZON'), expected)
        fromChildren.push(...read.records.map((r) => text(r.data)))
      }
      expect(fromChildren.sort()).toEqual([...after].sort())
    })
  })

  describe(`ShardReader on ${engine}: missing shards, missing streams, malformed answers`, () => {
    it('a shard not yet listed is retried, a missing stream is STREAM_NOT_FOUND, whatever the message says', async () => {
      const stream = uniqueName('reader-missing')
      await createStream(client, stream, 1)
      // The engines word these differently (kinesis-local: "Could not find shardId ...";
      // kinesalite, for a missing stream: "Shard ... in stream ... does not exist").
      // A missing shard newer than every listed one may be a child not listed yet: retried, and
      // after maxRetries a retryable error, never SHARD_NOT_FOUND (which would end its lease).
      const shardError = await readAll(
        reader(stream, 'shardId-000000000042', 'TRIM_HORIZON', {
          maxRetries: 1,
          retryBaseDelayMs: 10,
        }),
        0,
      ).catch((e: unknown) => e)
      expect(shardError).toMatchObject({ code: 'TRANSIENT', retryable: true })
      const streamError = await readAll(
        reader(uniqueName('no-such-stream'), 'shardId-000000000000', 'TRIM_HORIZON'),
        0,
      ).catch((e: unknown) => e)
      expect(streamError).toBeInstanceOf(ResourceNotFoundError)
      expect(streamError).toMatchObject({ code: 'STREAM_NOT_FOUND' })
    })

    it('a GetShardIterator answer stripped of ShardIterator (a faulty proxy) does not end an open shard', async () => {
      const stream = uniqueName('reader-no-iterator')
      await createStream(client, stream, 1)
      const put = await putRecords(
        client,
        stream,
        ['x0', 'x1', 'x2'].map((data) => ({ data, partitionKey: 'k' })),
      )
      const shardId = (put[0] as PutResult).shardId
      const metrics = counter()
      const faulty = altering(client, (command, call, output) => {
        if (command === 'GetShardIterator' && call <= 2) delete output.ShardIterator
      })
      const { records, last } = await readAll(
        reader(stream, shardId, 'TRIM_HORIZON', {
          client: faulty,
          metrics,
          retryBaseDelayMs: 10,
        }),
        3,
      )
      expect(records.map((r) => text(r.data))).toEqual(['x0', 'x1', 'x2'])
      expect(last?.shardEnded).toBe(false)
      expect(metrics.sum('MalformedResponses')).toBe(2)
    })

    describe('a closed shard', () => {
      const stream = uniqueName('reader-closed')
      let parent: string
      let lastSequenceNumber: string

      beforeAll(async () => {
        await createStream(client, stream, 1)
        const put = await putRecords(
          client,
          stream,
          ['c0', 'c1', 'c2'].map((data) => ({ data, partitionKey: 'k' })),
        )
        parent = (put[0] as PutResult).shardId
        lastSequenceNumber = (put[2] as PutResult).sequenceNumber
        await client.send(
          new SplitShardCommand({
            StreamName: stream,
            ShardToSplit: parent,
            NewStartingHashKey: (2n ** 127n).toString(),
          }),
        )
        await waitForStreamActive(client, stream)
      })

      it('past its last record still gets an iterator, and GetRecords says the shard ended', async () => {
        // What the reader relies on: no legitimate answer lacks the iterator.
        for (const type of ['AFTER_SEQUENCE_NUMBER', 'AT_SEQUENCE_NUMBER'] as const) {
          const got = await client.send(
            new GetShardIteratorCommand({
              StreamName: stream,
              ShardId: parent,
              ShardIteratorType: type,
              StartingSequenceNumber: lastSequenceNumber,
            }),
          )
          expect(typeof got.ShardIterator, type).toBe('string')
          let iterator = got.ShardIterator
          let reads = 0
          // kinesalite ends with one more, empty, read; the loop is bounded either way.
          while (iterator !== undefined && reads++ < 5) {
            const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator }))
            expect(Array.isArray(out.Records)).toBe(true)
            iterator = out.NextShardIterator
          }
          expect(iterator, `${type}: the shard ended`).toBeUndefined()
        }
        const { records, last } = await readAll(
          reader(stream, parent, {
            type: 'AFTER_SEQUENCE_NUMBER',
            sequenceNumber: lastSequenceNumber,
          }),
          0,
        )
        expect(records).toEqual([])
        expect(last?.shardEnded).toBe(true)
        expect(last?.childShards).toHaveLength(2)
      })

      it('a final answer whose ChildShards lack ParentShards (a faulty proxy) is asked again: the children keep their parent', async () => {
        const metrics = counter()
        let stripped = 0
        const faulty = altering(client, (command, _call, output) => {
          const children = output.ChildShards as { ParentShards?: string[] }[] | undefined
          if (
            command === 'GetRecords' &&
            children !== undefined &&
            children.length > 0 &&
            stripped++ === 0
          )
            for (const child of children) delete child.ParentShards
        })
        const { records, last } = await readAll(
          reader(stream, parent, 'TRIM_HORIZON', { client: faulty, metrics, retryBaseDelayMs: 10 }),
          3,
        )
        expect(records.map((r) => text(r.data))).toEqual(['c0', 'c1', 'c2'])
        expect(last?.shardEnded).toBe(true)
        const children = last?.childShards ?? []
        expect(children).toHaveLength(2)
        for (const child of children) expect(child.parentShardIds).toEqual([parent])
        // kinesalite sends no ChildShards: nothing to strip, the children come from ListShards.
        expect(metrics.sum('MalformedResponses')).toBe(engine === 'kinesis-local' ? 1 : 0)
      })
    })
  })
}
