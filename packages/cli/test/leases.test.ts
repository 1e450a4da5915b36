// `kine leases` against dynalite (the lease table, written with core's leaseToItem) and
// kinesis-local (the stream, for --stream).

import { PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb'
import { SplitShardCommand } from '@aws-sdk/client-kinesis'
import { ensureLeaseTable, type Lease } from '@kine/core'
import { leaseToItem } from '@kine/core/lease-table'
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
  // Items that parse but no worker could use: workers and Sync skip them, `kine leases` shows them.
  const unusable: Record<string, Record<string, AttributeValue>> = {
    'shardId-000000000005': { leaseOwner: { S: '' } },
    'shardId-000000000006': { startingHashKey: { S: 'abc' }, endingHashKey: { S: '99' } },
    'shardId-000000000007': { parentShardId: { S: 'shardId-000000000004' } },
  }
  for (const [leaseKey, change] of Object.entries(unusable)) {
    await env.dynamodb.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { ...leaseToItem(testLease({ leaseKey, leaseCounter: 1 })), ...change },
      }),
    )
  }
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
    problems?: string[]
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
    expect(run.stdout).toContain(`Table  ${TABLE}: 4 leases, 2 held by 2 workers; 4 invalid items`)
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

  it('shows items that are not usable leases as invalid rows, with the reason', async () => {
    const run = await leases(TABLE)
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/PROBLEM$/m)
    const invalid = /^invalid(\s+-){5}\s+not a usable lease: /
    const rest = (id: string): string => row(run.stdout, id).slice(id.length).trimStart()
    expect(rest('shardId-000000000005')).toMatch(invalid)
    expect(rest('shardId-000000000005')).toMatch(/leaseOwner: empty string \(absent means free\)$/)
    expect(rest('shardId-000000000006')).toMatch(invalid)
    expect(rest('shardId-000000000006')).toMatch(
      /startingHashKey: "abc" is not a decimal hash key$/,
    )
    expect(rest('shardId-000000000007')).toMatch(/parentShardId: expected type SS, found S$/)
    expect(rest('broken')).toMatch(invalid)
    expect(rest('broken')).toMatch(/leaseCounter: expected type N, found S$/)
    // A good lease's row has no problem.
    expect(row(run.stdout, 'shardId-000000000003')).not.toContain('usable')
    // One warning each on stderr.
    expect(run.stderr.match(/warning: item shardId-000000000005 /g)).toHaveLength(1)

    const json = JSON.parse((await leases(TABLE, '--json')).stdout) as LeasesJson
    expect(
      json.leases.filter((l) => l.state === 'invalid').map((l) => [l.shardId, l.problems]),
    ).toEqual([
      ['broken', ['leaseCounter: expected type N, found S']],
      ['shardId-000000000005', ['leaseOwner: empty string (absent means free)']],
      ['shardId-000000000006', ['startingHashKey: "abc" is not a decimal hash key']],
      ['shardId-000000000007', ['parentShardId: expected type SS, found S']],
    ])
  })

  it('with --stream, says how far behind each checkpoint is and which shards have no lease', async () => {
    const run = await leases(TABLE, '--stream', 'leased')
    expect(run.code).toBe(0)
    // The table's unusable items add a PROBLEM column after BEHIND.
    expect(run.stdout).toMatch(/BEHIND\s+PROBLEM$/m)
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
    const valid = report.leases.filter((l) => l.state !== 'invalid')
    expect(valid.map((l) => [l.shardId, l.state, l.owner, l.leaseCounter, l.lag?.status])).toEqual([
      ['shardId-000000000000', 'ended', null, 12, 'finished'],
      ['shardId-000000000002', 'held', 'worker-a', 7, 'behind'],
      ['shardId-000000000003', 'free', null, 3, 'caught-up'],
      ['shardId-000000000009', 'handoff', 'worker-b', 4, 'shard-gone'],
    ])
    const behind = valid[1]?.lag
    expect(behind?.oldestUnprocessedAgeMs).toBeGreaterThan(0)
    expect(typeof behind?.millisBehindLatest).toBe('number')
    expect(valid[0]?.childShardIds).toEqual(['shardId-000000000002', 'shardId-000000000003'])
    expect(valid[3]?.checkpointOwner).toBe('worker-c')
    expect(report.invalid.map((e) => e.leaseKey).sort()).toEqual([
      'broken',
      'shardId-000000000005',
      'shardId-000000000006',
      'shardId-000000000007',
    ])
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
