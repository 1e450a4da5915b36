// `kine leases` against dynalite (the lease table, written with core's leaseToItem) and
// kinesis-local (the stream, for --stream).

import { PutItemCommand } from '@aws-sdk/client-dynamodb'
import { SplitShardCommand } from '@aws-sdk/client-kinesis'
import { ensureLeaseTable, leaseToItem, type Lease } from '@kine/core'
import { createStream, putRecords, waitForStreamActive, type PutResult } from '@kine-tools/local'
import { testLease, useEnv } from '@kine-tools/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { killRunning, runKine } from './run-kine.js'

// kinesis-local and dynalite, started before and stopped after this file's own hooks.
const env = useEnv()
const TABLE = 'orders-app'
const MID = (1n << 126n).toString()

// Stream `leased`: shards 0 and 1; 0 is split into 2 (keys from 0) and 3 (keys from MID).
let inShard2: PutResult[] = []
let inShard3: PutResult[] = []

beforeAll(async () => {
  await Promise.all([createStream(env.kinesis, 'leased', 2), ensureLeaseTable(env.dynamodb, TABLE)])
  await putRecords(env.kinesis, 'leased', [
    { data: 'old', partitionKey: 'o', explicitHashKey: '0' },
  ])
  await env.kinesis.send(
    new SplitShardCommand({
      StreamName: 'leased',
      ShardToSplit: 'shardId-000000000000',
      NewStartingHashKey: MID,
    }),
  )
  await new Promise((r) => setTimeout(r, 200))
  await waitForStreamActive(env.kinesis, 'leased')
  inShard2 = await putRecords(
    env.kinesis,
    'leased',
    ['a', 'b', 'c'].map((d) => ({ data: d, partitionKey: d, explicitHashKey: '0' })),
  )
  inShard3 = await putRecords(
    env.kinesis,
    'leased',
    ['x', 'y'].map((d) => ({ data: d, partitionKey: d, explicitHashKey: MID })),
  )
  expect(new Set(inShard2.map((p) => p.shardId))).toEqual(new Set(['shardId-000000000002']))
  expect(new Set(inShard3.map((p) => p.shardId))).toEqual(new Set(['shardId-000000000003']))

  const leases: Lease[] = [
    // The split parent, finished.
    testLease({
      leaseKey: 'shardId-000000000000',
      checkpoint: 'SHARD_END',
      leaseCounter: 12,
      childShardIds: ['shardId-000000000002', 'shardId-000000000003'],
    }),
    // Held, checkpointed at its first record: two records wait.
    testLease({
      leaseKey: 'shardId-000000000002',
      leaseOwner: 'worker-a',
      leaseCounter: 7,
      checkpoint: inShard2[0]?.sequenceNumber ?? '',
      parentShardIds: ['shardId-000000000000'],
    }),
    // Free, checkpointed at its last record: caught up.
    testLease({
      leaseKey: 'shardId-000000000003',
      leaseCounter: 3,
      checkpoint: inShard3[1]?.sequenceNumber ?? '',
      parentShardIds: ['shardId-000000000000'],
    }),
    // Changing hands, for a shard the stream no longer has.
    testLease({
      leaseKey: 'shardId-000000000009',
      leaseOwner: 'worker-b',
      checkpointOwner: 'worker-c',
      leaseCounter: 4,
      checkpoint: 'TRIM_HORIZON',
    }),
  ]
  for (const l of leases)
    await env.dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: leaseToItem(l) }))
  // Not a lease: its counter is a string.
  await env.dynamodb.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: { leaseKey: { S: 'broken' }, leaseCounter: { S: 'x' }, checkpoint: { S: 'LATEST' } },
    }),
  )
})

afterAll(() => {
  killRunning()
})

const leases = (...args: string[]) =>
  runKine([
    'leases',
    ...args,
    '--dynamodb-endpoint',
    env.dynamoEndpoint,
    '--endpoint',
    env.kinesisEndpoint,
  ])

const row = (stdout: string, shardId: string): string =>
  stdout.split('\n').find((l) => l.startsWith(`${shardId} `)) ?? ''

interface LeasesJson {
  table: string
  leases: {
    shardId: string
    state: string
    owner: string | null
    leaseCounter: number
    checkpoint: string
    parentShardIds: string[]
    childShardIds: string[]
    checkpointOwner: string | null
    lag?: {
      status: string
      oldestUnprocessedAgeMs: number | null
      millisBehindLatest: number | null
    }
  }[]
  invalid: { leaseKey: string | null; problems: string[] }[]
  stream?: { name: string; shardsWithoutLease: string[] }
}

describe('kine leases', () => {
  it('shows who holds which shard: held, free, ended and handing-off leases, and the items it cannot read', async () => {
    const run = await leases(TABLE)
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`Table  ${TABLE}: 4 leases, 2 held by 2 workers`)
    expect(row(run.stdout, 'shardId-000000000000')).toMatch(
      /ended\s+-\s+12\s+SHARD_END\s+-\s+shardId-000000000002,shardId-000000000003$/,
    )
    expect(row(run.stdout, 'shardId-000000000002')).toMatch(
      new RegExp(
        `held\\s+worker-a\\s+7\\s+${inShard2[0]?.sequenceNumber}\\s+shardId-000000000000\\s+-$`,
      ),
    )
    expect(row(run.stdout, 'shardId-000000000003')).toMatch(
      /free\s+-\s+3\s+\d+\s+shardId-000000000000\s+-$/,
    )
    expect(row(run.stdout, 'shardId-000000000009')).toMatch(
      /handoff\s+worker-b \(from worker-c\)\s+4\s+TRIM_HORIZON/,
    )
    // No stream given: no BEHIND column.
    expect(run.stdout).not.toContain('BEHIND')
    expect(run.stderr).toContain('warning: item broken is not a lease: leaseCounter')
  })

  it('with --stream, says how far behind each checkpoint is and which shards have no lease', async () => {
    const run = await leases(TABLE, '--stream', 'leased')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/BEHIND$/m)
    expect(row(run.stdout, 'shardId-000000000000')).toMatch(/finished$/)
    expect(row(run.stdout, 'shardId-000000000002')).toMatch(/\d+s \(oldest unprocessed record\)$/)
    expect(row(run.stdout, 'shardId-000000000003')).toMatch(/caught up$/)
    expect(row(run.stdout, 'shardId-000000000009')).toMatch(/shard gone$/)
    expect(run.stdout).toContain('Shards of leased with no lease: shardId-000000000001')
  })

  it('--json gives the same as data', async () => {
    const run = await leases(TABLE, '--stream', 'leased', '--json')
    expect(run.code).toBe(0)
    const report = JSON.parse(run.stdout) as LeasesJson
    expect(report.table).toBe(TABLE)
    expect(
      report.leases.map((l) => [l.shardId, l.state, l.owner, l.leaseCounter, l.lag?.status]),
    ).toEqual([
      ['shardId-000000000000', 'ended', null, 12, 'finished'],
      ['shardId-000000000002', 'held', 'worker-a', 7, 'behind'],
      ['shardId-000000000003', 'free', null, 3, 'caught-up'],
      ['shardId-000000000009', 'handoff', 'worker-b', 4, 'shard-gone'],
    ])
    const behind = report.leases[1]?.lag
    expect(behind?.oldestUnprocessedAgeMs).toBeGreaterThan(0)
    expect(typeof behind?.millisBehindLatest).toBe('number')
    expect(report.leases[0]?.childShardIds).toEqual([
      'shardId-000000000002',
      'shardId-000000000003',
    ])
    expect(report.leases[3]?.checkpointOwner).toBe('worker-c')
    expect(report.invalid).toHaveLength(1)
    expect(report.invalid[0]?.leaseKey).toBe('broken')
    expect(report.stream).toEqual({ name: 'leased', shardsWithoutLease: ['shardId-000000000001'] })
  })

  it('an unknown table is an error naming it', async () => {
    const run = await leases('no-such-table')
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('lease table "no-such-table" does not exist')
    expect(run.stderr).toContain(`endpoint ${env.dynamoEndpoint}`)
    expect(run.stderr).not.toMatch(/^\s+at /m)
  })
})
