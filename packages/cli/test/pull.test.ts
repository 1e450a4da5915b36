// `kine pull` against kinesis-local, run as the `kine` bin: every iterator type, -i, stdout and
// -o, the formats, --max, --until-caught-up, --follow-children across a split, and Ctrl-C.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MergeShardsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import {
  createStream,
  kinesisClient,
  putRecords,
  startKinesis,
  waitForStreamActive,
  type LocalKinesis,
  type PutResult,
} from '@kine-tools/local'
import { waitFor } from '@kine-tools/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { killRunning, lines, runKine } from './run-kine.js'

let kinesis: LocalKinesis | undefined
let client: KinesisClient
const tmp = mkdtempSync(join(tmpdir(), 'kine-cli-pull-'))

/** The 12 records of `orders`, as put: data `order-<n>`, and where each went. */
const orders: { data: string; put: PutResult }[] = []

const pull = (...args: string[]) =>
  runKine(['pull', ...args, '--endpoint', kinesis?.endpoint ?? ''])

/** The records of one shard, in shard order. */
const ofShard = (shardId: string) =>
  orders.filter((o) => o.put.shardId === shardId).map((o) => o.data)

beforeAll(async () => {
  kinesis = await startKinesis()
  client = kinesisClient(kinesis.endpoint)
  await Promise.all([createStream(client, 'orders', 2), createStream(client, 'family', 1)])
  const data = Array.from({ length: 12 }, (_, i) => `order-${i}`)
  const put = await putRecords(
    client,
    'orders',
    data.map((d, i) => ({ data: d, partitionKey: `customer-${i}` })),
  )
  data.forEach((d, i) => orders.push({ data: d, put: put[i] as PutResult }))
  // Both shards must hold records for the per-shard checks to mean anything.
  expect(new Set(put.map((p) => p.shardId)).size).toBe(2)
})

afterAll(async () => {
  killRunning()
  client?.destroy()
  await kinesis?.stop()
  rmSync(tmp, { recursive: true, force: true })
})

describe('kine pull', () => {
  it('TRIM_HORIZON --until-caught-up: every record to stdout, one per line, in shard order', async () => {
    const run = await pull('orders', '-t', 'TRIM_HORIZON', '--until-caught-up')
    expect(run.code).toBe(0)
    const out = lines(run.stdout)
    expect([...out].sort()).toEqual(orders.map((o) => o.data).sort())
    for (const shardId of ['shardId-000000000000', 'shardId-000000000001']) {
      const expected = ofShard(shardId)
      expect(out.filter((l) => expected.includes(l))).toEqual(expected)
    }
    // Progress goes to stderr only.
    expect(run.stderr).toContain('Pulled 12 records from 2 shards')
    expect(run.stderr).toMatch(/Found \d+ records in shardId-000000000000\. ms behind is \d+/)
  })

  it('-i reads only the shards named (short ids too), at a fixed pace with -z', async () => {
    const run = await pull(
      'orders',
      '-t',
      'TRIM_HORIZON',
      '-i',
      '1',
      '-z',
      'fast',
      '--until-caught-up',
    )
    expect(run.code).toBe(0)
    expect(lines(run.stdout)).toEqual(ofShard('shardId-000000000001'))
    expect(run.stderr).not.toContain('shardId-000000000000')
  })

  it('--format json: one object per record with its metadata; base64: the data encoded', async () => {
    const json = await pull(
      'orders',
      '-t',
      'TRIM_HORIZON',
      '-i',
      'shardId-000000000000',
      '--format',
      'json',
      '--until-caught-up',
    )
    expect(json.code).toBe(0)
    const objects = lines(json.stdout).map((l) => JSON.parse(l) as Record<string, unknown>)
    const expected = orders.filter((o) => o.put.shardId === 'shardId-000000000000')
    expect(objects).toHaveLength(expected.length)
    objects.forEach((object, i) => {
      const want = expected[i]
      expect(object).toMatchObject({
        shardId: 'shardId-000000000000',
        partitionKey: `customer-${want?.data.slice('order-'.length)}`,
        sequenceNumber: want?.put.sequenceNumber,
        subSequenceNumber: 0,
        aggregated: false,
        encoding: 'utf8',
        data: want?.data,
      })
      expect(Date.parse(object.approximateArrivalTimestamp as string)).toBeGreaterThan(
        Date.now() - 600_000,
      )
    })

    const b64 = await pull(
      'orders',
      '-t',
      'TRIM_HORIZON',
      '-i',
      '0',
      '--format',
      'base64',
      '--until-caught-up',
    )
    expect(lines(b64.stdout).map((l) => Buffer.from(l, 'base64').toString('utf8'))).toEqual(
      ofShard('shardId-000000000000'),
    )
  })

  it('--max stops after that many records in total', async () => {
    const run = await pull('orders', '-t', 'TRIM_HORIZON', '--max', '3')
    expect(run.code).toBe(0)
    const out = lines(run.stdout)
    expect(out).toHaveLength(3)
    for (const line of out) expect(orders.map((o) => o.data)).toContain(line)
    expect(run.stderr).toContain('Pulled 3 records')
    expect(run.stderr).toContain('--max reached')
  })

  it('AT_SEQUENCE_NUMBER starts at that record of the shard', async () => {
    const shard = orders.filter((o) => o.put.shardId === 'shardId-000000000001')
    const third = shard[2] as (typeof shard)[number]
    const run = await pull(
      'orders',
      '-t',
      'AT_SEQUENCE_NUMBER',
      '-s',
      third.put.sequenceNumber,
      '-i',
      'shardId-000000000001',
      '--until-caught-up',
    )
    expect(run.code).toBe(0)
    expect(lines(run.stdout)).toEqual(shard.slice(2).map((o) => o.data))
  })

  it('AT_TIMESTAMP starts at the first record written at or after -d (epoch ms or ISO date)', async () => {
    await createStream(client, 'timed', 1)
    await putRecords(client, 'timed', [
      { data: 'early-1', partitionKey: 'a' },
      { data: 'early-2', partitionKey: 'b' },
    ])
    await new Promise((r) => setTimeout(r, 1100))
    const at = Date.now()
    await new Promise((r) => setTimeout(r, 1100))
    await putRecords(client, 'timed', [
      { data: 'late-1', partitionKey: 'a' },
      { data: 'late-2', partitionKey: 'b' },
    ])

    const epoch = await pull('timed', '-t', 'AT_TIMESTAMP', '-d', String(at), '--until-caught-up')
    expect(epoch.code).toBe(0)
    expect(lines(epoch.stdout)).toEqual(['late-1', 'late-2'])
    const iso = await pull(
      'timed',
      '-t',
      'AT_TIMESTAMP',
      '-d',
      new Date(at).toISOString(),
      '--until-caught-up',
    )
    expect(lines(iso.stdout)).toEqual(['late-1', 'late-2'])
  })

  it('-o writes one <shardId>.json per shard, one record per line, and appends on the next run', async () => {
    const folder = join(tmp, 'out')
    const first = await pull('orders', '-t', 'TRIM_HORIZON', '--until-caught-up', '-o', folder)
    expect(first.code).toBe(0)
    expect(first.stdout).toBe('')
    expect(first.stderr).toMatch(/Found \d+ records in shardId-00000000000[01]\. ms behind is \d+/)
    expect(readdirSync(folder).sort()).toEqual([
      'shardId-000000000000.json',
      'shardId-000000000001.json',
    ])
    const read = (shardId: string) => readFileSync(join(folder, `${shardId}.json`), 'utf8')
    const firstRun = {
      zero: lines(read('shardId-000000000000')),
      one: lines(read('shardId-000000000001')),
    }
    expect(firstRun.zero).toEqual(ofShard('shardId-000000000000'))
    expect(firstRun.one).toEqual(ofShard('shardId-000000000001'))

    const second = await pull('orders', '-t', 'TRIM_HORIZON', '-i', '0', '--max', '2', '-o', folder)
    expect(second.code).toBe(0)
    expect(lines(read('shardId-000000000000'))).toEqual([
      ...firstRun.zero,
      ...ofShard('shardId-000000000000').slice(0, 2),
    ])
    expect(lines(read('shardId-000000000001'))).toEqual(firstRun.one)
  })
})

describe('kine pull of new records', () => {
  it('LATEST (the default) gives only records written after it started', async () => {
    await createStream(client, 'live', 2)
    await putRecords(client, 'live', [
      { data: 'before-1', partitionKey: 'a' },
      { data: 'before-2', partitionKey: 'b' },
    ])
    let exited = false
    const running = pull('live', '--max', '4', '--format', 'json').finally(() => (exited = true))
    // Keep writing until the pull has its four records: whichever land after its iterators exist.
    for (let i = 0; !exited && i < 100; i++) {
      await putRecords(client, 'live', [
        { data: `late-${i}-a`, partitionKey: `late-${i}-a` },
        { data: `late-${i}-b`, partitionKey: `late-${i}-b` },
      ])
      await new Promise((r) => setTimeout(r, 300))
    }
    const run = await running
    expect(run.code).toBe(0)
    const out = lines(run.stdout).map((l) => (JSON.parse(l) as { data: string }).data)
    expect(out).toHaveLength(4)
    for (const data of out) expect(data).toMatch(/^late-\d+-[ab]$/)
    expect(run.stderr).toContain('Reading shardId-000000000000 from LATEST')
    expect(run.stderr).toContain('Reading shardId-000000000001 from LATEST')
  })

  it('Ctrl-C ends the pull cleanly: exit 0, files complete', async () => {
    const folder = join(tmp, 'interrupted')
    const file = join(folder, 'shardId-000000000000.json')
    let sent = 0
    const run = await runKine(
      ['pull', 'live', '-i', '0', '-o', folder, '--endpoint', kinesis?.endpoint ?? ''],
      {
        onSpawn: (child, output) => {
          void (async () => {
            await waitFor(
              'the pull to start',
              () => output.stderr().includes('Reading shardId-000000000000'),
              20_000,
            )
            // Records keep coming until some are on disk, then the user presses Ctrl-C.
            for (
              let i = 0;
              i < 60 && !(existsSync(file) && readFileSync(file, 'utf8').length > 0);
              i++
            ) {
              // An explicit hash key of 0 routes every record to shard 0.
              await putRecords(client, 'live', [
                { data: `sigint-${sent++}`, partitionKey: 'x', explicitHashKey: '0' },
              ])
              await new Promise((r) => setTimeout(r, 250))
            }
            child.kill('SIGINT')
          })().catch(() => child.kill('SIGKILL'))
        },
      },
    )
    expect(run.code).toBe(0)
    expect(run.stderr).toContain('(stopped)')
    const written = readFileSync(file, 'utf8')
    expect(written.endsWith('\n')).toBe(true)
    const got = lines(written)
    expect(got.length).toBeGreaterThan(0)
    for (const line of got) expect(line).toMatch(/^sigint-\d+$/)
  })
})

describe('kine pull across a split', () => {
  // family: one shard with p0..p4, split in two, then c0..c5 written to the children.
  const parent = ['p0', 'p1', 'p2', 'p3', 'p4']
  const children = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5']

  beforeAll(async () => {
    await putRecords(
      client,
      'family',
      parent.map((d) => ({ data: d, partitionKey: d })),
    )
    await client.send(
      new SplitShardCommand({
        StreamName: 'family',
        ShardToSplit: 'shardId-000000000000',
        NewStartingHashKey: (1n << 127n).toString(),
      }),
    )
    await new Promise((r) => setTimeout(r, 200))
    await waitForStreamActive(client, 'family')
    const put = await putRecords(
      client,
      'family',
      children.map((d, i) => ({
        data: d,
        partitionKey: d,
        explicitHashKey: i % 2 === 0 ? '0' : (1n << 127n).toString(),
      })),
    )
    expect(new Set(put.map((p) => p.shardId))).toEqual(
      new Set(['shardId-000000000001', 'shardId-000000000002']),
    )
  })

  it('--follow-children goes on into the children once the parent has ended, parent first', async () => {
    const run = await pull(
      'family',
      '-t',
      'TRIM_HORIZON',
      '-i',
      '0',
      '--follow-children',
      '--until-caught-up',
    )
    expect(run.code).toBe(0)
    const out = lines(run.stdout)
    expect(out.slice(0, 5)).toEqual(parent)
    expect([...out.slice(5)].sort()).toEqual(children)
    expect(run.stderr).toContain(
      'shardId-000000000000 ended; children shardId-000000000001, shardId-000000000002',
    )
  })

  it('without --follow-children, a pull of the parent ends with it', async () => {
    const run = await pull('family', '-t', 'TRIM_HORIZON', '-i', '0')
    expect(run.code).toBe(0)
    expect(lines(run.stdout)).toEqual(parent)
    expect(run.stderr).toContain('(every shard ended)')
  })

  it('reading every shard, a child is read only after its parent', async () => {
    const run = await pull('family', '-t', 'TRIM_HORIZON', '--until-caught-up')
    expect(run.code).toBe(0)
    const out = lines(run.stdout)
    expect(out.slice(0, 5)).toEqual(parent)
    expect([...out.slice(5)].sort()).toEqual(children)
    const ended = run.stderr.indexOf('shardId-000000000000 ended')
    expect(ended).toBeGreaterThan(-1)
    expect(run.stderr.indexOf('Reading shardId-000000000001')).toBeGreaterThan(ended)
    expect(run.stderr.indexOf('Reading shardId-000000000002')).toBeGreaterThan(ended)
  })

  it('LATEST reads only the open shards', async () => {
    const run = await pull('family', '--until-caught-up')
    expect(run.code).toBe(0)
    expect(run.stderr).toContain('Reading shardId-000000000001 from LATEST')
    expect(run.stderr).toContain('Reading shardId-000000000002 from LATEST')
    expect(run.stderr).not.toContain('Reading shardId-000000000000')
  })
})

describe('kine pull across a merge', () => {
  // joined: two shards (a0..a3 in 0, b0..b3 in 1) merged into 2, then m0..m3 written to it.
  const half = (1n << 127n).toString()
  const left = ['a0', 'a1', 'a2', 'a3']
  const right = ['b0', 'b1', 'b2', 'b3']
  const merged = ['m0', 'm1', 'm2', 'm3']

  beforeAll(async () => {
    await createStream(client, 'joined', 2)
    await putRecords(client, 'joined', [
      ...left.map((d) => ({ data: d, partitionKey: d, explicitHashKey: '0' })),
      ...right.map((d) => ({ data: d, partitionKey: d, explicitHashKey: half })),
    ])
    await client.send(
      new MergeShardsCommand({
        StreamName: 'joined',
        ShardToMerge: 'shardId-000000000000',
        AdjacentShardToMerge: 'shardId-000000000001',
      }),
    )
    await new Promise((r) => setTimeout(r, 200))
    await waitForStreamActive(client, 'joined')
    const put = await putRecords(
      client,
      'joined',
      merged.map((d) => ({ data: d, partitionKey: d })),
    )
    expect(new Set(put.map((p) => p.shardId))).toEqual(new Set(['shardId-000000000002']))
  })

  it('reads the merged child only after both parents ended, each parent in order', async () => {
    const run = await pull('joined', '-t', 'TRIM_HORIZON', '--until-caught-up')
    expect(run.code).toBe(0)
    const out = lines(run.stdout)
    expect(out.filter((d) => d.startsWith('a'))).toEqual(left)
    expect(out.filter((d) => d.startsWith('b'))).toEqual(right)
    expect(out.filter((d) => d.startsWith('m'))).toEqual(merged)
    const firstChild = out.indexOf('m0')
    expect(out.slice(0, firstChild).sort()).toEqual([...left, ...right].sort())
    const reading = run.stderr.indexOf('Reading shardId-000000000002')
    expect(reading).toBeGreaterThan(run.stderr.indexOf('shardId-000000000000 ended'))
    expect(reading).toBeGreaterThan(run.stderr.indexOf('shardId-000000000001 ended'))
    expect(run.stderr.indexOf('shardId-000000000000 ended')).toBeGreaterThan(-1)
    expect(run.stderr.indexOf('shardId-000000000001 ended')).toBeGreaterThan(-1)
  })
})
