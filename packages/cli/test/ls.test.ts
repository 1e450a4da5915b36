// `kine ls` against kinesis-local (which supports SplitShard and EnableEnhancedMonitoring) and
// the local CloudWatch receiver (which answers GetMetricStatistics with what the test sets).

import {
  EnableEnhancedMonitoringCommand,
  ListShardsCommand,
  SplitShardCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis'
import {
  createStream,
  kinesisClient,
  startCloudWatch,
  startKinesis,
  waitForStreamActive,
  type CloudWatchReceiver,
  type LocalKinesis,
} from '@kine-tools/local'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { killRunning, runKine } from './run-kine.js'

interface LsJson {
  stream: {
    name: string
    arn: string
    status: string
    retentionHours: number
    openShards: number
    closedShards: number
    encryption: string
    shardLevelMetrics: string[]
  }
  shards: {
    shardId: string
    parentShardId: string | null
    adjacentParentShardId: string | null
    open: boolean
    hashKeyShare: number
    startingSequenceNumber: string
    incomingBytesPerMinute: number | null
    outgoingBytesPerMinute: number | null
  }[]
}

let kinesis: LocalKinesis | undefined
let cloudwatch: CloudWatchReceiver | undefined
let client: KinesisClient

beforeAll(async () => {
  ;[kinesis, cloudwatch] = await Promise.all([startKinesis(), startCloudWatch()])
  client = kinesisClient(kinesis.endpoint)
  await Promise.all([
    createStream(client, 'plain', 2),
    createStream(client, 'split-me', 1),
    createStream(client, 'metered', 2),
  ])
})

afterAll(async () => {
  killRunning()
  client?.destroy()
  await Promise.all([kinesis?.stop(), cloudwatch?.stop()])
})

const ls = (...args: string[]) => runKine(['ls', ...args, '--endpoint', kinesis?.endpoint ?? ''])

describe('kine ls', () => {
  it('shows a stream that was never resharded: summary, shards, n/a figures, a flat tree', async () => {
    const listed = await client.send(new ListShardsCommand({ StreamName: 'plain' }))
    const run = await ls('plain', '--tree')
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('arn:aws:kinesis:us-east-1:000000000000:stream/plain')
    expect(run.stdout).toMatch(/Status\s+ACTIVE/)
    expect(run.stdout).toMatch(/Retention\s+24 hours/)
    expect(run.stdout).toMatch(/Shards\s+2 open, 0 closed/)
    expect(run.stdout).toMatch(/Encryption\s+NONE/)
    expect(run.stdout).toMatch(/Metrics\s+shard-level not enabled/)
    for (const shard of listed.Shards ?? []) {
      const row = run.stdout.split('\n').find((l) => l.startsWith(`${shard.ShardId}  `)) ?? ''
      expect(row).toMatch(/\s-\s+-\s+open\s+50\.00%\s+n\/a\s+n\/a\s+/)
      expect(row).toContain(shard.SequenceNumberRange?.StartingSequenceNumber ?? '?')
      // In the tree both are roots, with no children.
      expect(run.stdout).toContain(`\n${shard.ShardId} (open, keys 50.00%)`)
    }
    expect(run.stdout).not.toContain('├──')
    expect(cloudwatch?.statisticsRequests).toHaveLength(0)
  })

  it('shows the stream before and after a split: closed parent, two children, their lineage', async () => {
    const before = await ls('split-me', '--json')
    expect(before.code).toBe(0)
    const first = JSON.parse(before.stdout) as LsJson
    expect(first.stream.openShards).toBe(1)
    expect(first.stream.closedShards).toBe(0)
    expect(first.shards).toHaveLength(1)
    expect(first.shards[0]).toMatchObject({
      shardId: 'shardId-000000000000',
      open: true,
      hashKeyShare: 1,
      parentShardId: null,
    })

    await client.send(
      new SplitShardCommand({
        StreamName: 'split-me',
        ShardToSplit: 'shardId-000000000000',
        // A quarter of the key space: the children get 25% and 75%.
        NewStartingHashKey: (1n << 126n).toString(),
      }),
    )
    await new Promise((r) => setTimeout(r, 200))
    await waitForStreamActive(client, 'split-me')

    const after = await ls('split-me', '--json')
    expect(after.code).toBe(0)
    const report = JSON.parse(after.stdout) as LsJson
    expect(report.stream.openShards).toBe(2)
    expect(report.stream.closedShards).toBe(1)
    const byId = new Map(report.shards.map((s) => [s.shardId, s]))
    expect(byId.get('shardId-000000000000')).toMatchObject({ open: false, hashKeyShare: 1 })
    expect(byId.get('shardId-000000000001')).toMatchObject({
      open: true,
      parentShardId: 'shardId-000000000000',
      adjacentParentShardId: null,
      hashKeyShare: 0.25,
    })
    expect(byId.get('shardId-000000000002')).toMatchObject({
      open: true,
      parentShardId: 'shardId-000000000000',
      hashKeyShare: 0.75,
    })

    const text = await ls('split-me', '--tree')
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/Shards\s+2 open, 1 closed/)
    expect(text.stdout).toMatch(/shardId-000000000000\s+-\s+-\s+closed\s+100\.00%/)
    expect(text.stdout).toMatch(/shardId-000000000001\s+shardId-000000000000\s+-\s+open\s+25\.00%/)
    expect(text.stdout).toContain(
      [
        'shardId-000000000000 (closed, keys 100.00%)',
        '├── shardId-000000000001 (open, keys 25.00%)',
        '└── shardId-000000000002 (open, keys 75.00%)',
      ].join('\n'),
    )
  })

  it('reads per-shard traffic from CloudWatch for the metrics that are enabled, n/a for the rest', async () => {
    const receiver = cloudwatch as CloudWatchReceiver
    receiver.clear()
    // An hour's Sum per shard: shard 0 takes 6,000 bytes (100 B/min), shard 1 twice that;
    // reads are 120 KiB/min on both.
    receiver.setStatistics((input) => {
      const shard = input.Dimensions.find((d) => d.Name === 'ShardId')?.Value
      const factor = shard === 'shardId-000000000001' ? 2 : 1
      return [{ Sum: input.MetricName === 'IncomingBytes' ? 6000 * factor : 120 * 1024 * 60 }]
    })
    await client.send(
      new EnableEnhancedMonitoringCommand({
        StreamName: 'metered',
        ShardLevelMetrics: ['IncomingBytes'],
      }),
    )
    const cw = ['--cloudwatch-endpoint', receiver.endpoint]

    const incomingOnly = await ls('metered', '--json', ...cw)
    expect(incomingOnly.code).toBe(0)
    const one = JSON.parse(incomingOnly.stdout) as LsJson
    expect(one.stream.shardLevelMetrics).toEqual(['IncomingBytes'])
    expect(
      one.shards.map((s) => [s.shardId, s.incomingBytesPerMinute, s.outgoingBytesPerMinute]),
    ).toEqual([
      ['shardId-000000000000', 100, null],
      ['shardId-000000000001', 200, null],
    ])
    // Only the enabled metric was asked for, per shard, as the original did.
    expect(receiver.statisticsRequests).toHaveLength(2)
    for (const request of receiver.statisticsRequests) {
      expect(request.Namespace).toBe('AWS/Kinesis')
      expect(request.MetricName).toBe('IncomingBytes')
      expect(request.Statistics).toEqual(['Sum'])
      expect(request.Period).toBe(3600)
      expect(request.EndTime.getTime() - request.StartTime.getTime()).toBe(3_600_000)
      expect(request.Dimensions.map((d) => d.Name).sort()).toEqual(['ShardId', 'StreamName'])
      expect(request.Dimensions.find((d) => d.Name === 'StreamName')?.Value).toBe('metered')
    }

    await client.send(
      new EnableEnhancedMonitoringCommand({
        StreamName: 'metered',
        ShardLevelMetrics: ['OutgoingBytes'],
      }),
    )
    const both = await ls('metered', ...cw)
    expect(both.code).toBe(0)
    expect(both.stdout).toMatch(/shardId-000000000000 .*\s100 B\/min\s+120\.0 KB\/min/)
    expect(both.stdout).toMatch(/shardId-000000000001 .*\s200 B\/min\s+120\.0 KB\/min/)
  })

  it('keeps the shard table when CloudWatch refuses, and says why the figures are missing', async () => {
    const receiver = cloudwatch as CloudWatchReceiver
    receiver.failNext(100, 403, 'AccessDenied')
    const run = await ls('metered', '--cloudwatch-endpoint', receiver.endpoint)
    receiver.clear()
    expect(run.code).toBe(0)
    expect(run.stderr).toContain('warning: shard metrics unavailable')
    expect(run.stdout).toMatch(/shardId-000000000000 .*\sn\/a\s+n\/a\s/)
  })

  it('never asks the real CloudWatch about a stream at a local --endpoint', async () => {
    const run = await ls('metered')
    expect(run.code).toBe(0)
    expect(run.stderr).toContain('give --cloudwatch-endpoint')
    expect(run.stdout).toMatch(/shardId-000000000001 .*\sn\/a\s+n\/a\s/)
  })
})
