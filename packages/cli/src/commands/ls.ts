import { Args, Flags } from '@oclif/core'
import { systemClock } from '@kine/core'
import { KineCommand } from '../base-command.js'
import { formatBytes, formatShare } from '../format.js'
import { renderShardTree } from '../shard-tree.js'
import { streamReport, type ShardInfo, type StreamReport } from '../stream-report.js'
import { renderTable, type Column } from '../table.js'

const perMinute = (value: number | null): string =>
  value === null ? 'n/a' : `${formatBytes(value)}/min`

const COLUMNS: readonly Column<ShardInfo>[] = [
  { header: 'shard', get: (s) => s.shardId },
  { header: 'parent', get: (s) => s.parentShardId ?? '-' },
  { header: 'adjacent parent', get: (s) => s.adjacentParentShardId ?? '-' },
  { header: 'state', get: (s) => (s.open ? 'open' : 'closed') },
  { header: 'keys', get: (s) => formatShare(s.hashKeyShare), align: 'right' },
  { header: 'avg in (last hour)', get: (s) => perMinute(s.incomingBytesPerMinute), align: 'right' },
  {
    header: 'avg out (last hour)',
    get: (s) => perMinute(s.outgoingBytesPerMinute),
    align: 'right',
  },
  { header: 'starting sequence number', get: (s) => s.startingSequenceNumber ?? '-' },
]

/** `kine ls <stream>`: the stream and its shards. */
export class Ls extends KineCommand {
  static override summary = 'Show a stream and its shards.'

  static override description = `Prints the stream's ARN, status, retention, open and closed shard counts and encryption, then one line per shard still within retention: its parents, whether it is open, its share of the hash-key space and its starting sequence number.

When shard-level metrics are enabled on the stream (EnhancedMonitoring), the average bytes per minute written to and read from each shard over the last hour come from CloudWatch (AWS/Kinesis IncomingBytes and OutgoingBytes); otherwise they show n/a.`

  static override examples = [
    {
      description: 'Show a stream in the default region.',
      command: '<%= config.bin %> <%= command.id %> orders',
    },
    {
      description: "Also draw the shards' lineage (splits and merges) as a tree.",
      command: '<%= config.bin %> <%= command.id %> orders --tree',
    },
    {
      description: 'As JSON, for scripts.',
      command: '<%= config.bin %> <%= command.id %> orders --region eu-west-1 --json',
    },
    {
      description: 'Against a local emulator.',
      command: '<%= config.bin %> <%= command.id %> orders --endpoint http://127.0.0.1:4567',
    },
  ]

  static override enableJsonFlag = true

  static override args = {
    stream: Args.string({ description: 'name of the Kinesis stream', required: true }),
  }

  static override flags = {
    tree: Flags.boolean({ description: "also show the shards' lineage as a tree" }),
  }

  async run(): Promise<StreamReport> {
    const { args, flags } = await this.parse(Ls)
    const aws = await this.awsClients(flags)
    // A stream on a local --endpoint has no figures in the real CloudWatch: never ask it.
    const local = flags.endpoint !== undefined && flags['cloudwatch-endpoint'] === undefined
    const cloudwatch = local
      ? {
          unavailable:
            'the stream is at a local --endpoint: give --cloudwatch-endpoint to read its figures',
        }
      : () => aws.cloudwatch()
    const report = await streamReport(aws.kinesis(), cloudwatch, {
      streamName: args.stream,
      now: systemClock.wallNow(),
    })
    if (report.metricsNote !== undefined) {
      this.note(`warning: shard metrics unavailable: ${report.metricsNote}`)
    }
    const { stream } = report
    const metrics =
      stream.shardLevelMetrics.length === 0 ? 'not enabled' : stream.shardLevelMetrics.join(', ')
    this.log(
      [
        `Stream      ${stream.name}`,
        `ARN         ${stream.arn ?? '-'}`,
        `Status      ${stream.status ?? '-'}${stream.mode === null ? '' : ` (${stream.mode})`}`,
        `Retention   ${stream.retentionHours === null ? '-' : `${stream.retentionHours} hours`}`,
        `Shards      ${stream.openShards} open, ${stream.closedShards} closed`,
        `Encryption  ${stream.encryption ?? '-'}${stream.keyId === null ? '' : ` (${stream.keyId})`}`,
        `Metrics     shard-level ${metrics}`,
        '',
        renderTable(COLUMNS, report.shards),
      ].join('\n'),
    )
    if (flags.tree) this.log(`\n${renderShardTree(report.shards)}`)
    return report
  }
}
