import { Args, Flags } from '@oclif/core'
import { systemClock } from '@kine/core'
import { KineCommand } from '../base-command.js'
import { formatDuration } from '../format.js'
import {
  isInvalidRow,
  leasesReport,
  type LeaseLag,
  type LeaseRow,
  type LeasesReport,
  type ReportRow,
} from '../lease-report.js'
import { renderTable, type Column } from '../table.js'

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

const list = (ids: readonly string[]): string => (ids.length === 0 ? '-' : ids.join(','))

/** A column of leases; an unusable item's row shows `-` there. */
const leaseColumn = (
  header: string,
  get: (l: LeaseRow) => string,
  align?: 'right',
): Column<ReportRow> => ({
  header,
  get: (r) => (isInvalidRow(r) ? '-' : get(r)),
  ...(align === undefined ? {} : { align }),
})

function describeLag(lag: LeaseLag | undefined): string {
  if (lag === undefined) return '-'
  switch (lag.status) {
    case 'caught-up':
      return 'caught up'
    case 'behind':
      if (lag.oldestUnprocessedAgeMs !== null) {
        return `${formatDuration(lag.oldestUnprocessedAgeMs)} (oldest unprocessed record)`
      }
      return `${formatDuration(lag.millisBehindLatest ?? 0)} (MillisBehindLatest)`
    case 'finished':
      return 'finished'
    case 'not-started':
      return 'not started'
    case 'shard-gone':
      return 'shard gone'
    case 'error':
      return `error: ${lag.note ?? '?'}`
  }
}

/** `kine leases <table>`: who holds which shard, and how far behind each checkpoint is. */
export class Leases extends KineCommand {
  static override summary = 'Show a lease table: who holds which shard, and the checkpoints.'

  static override description = `Reads every item of a kine (or Java KCL 2.x) lease table and prints one line per lease: its shard, state (held, free, ended, handoff), owner, lease counter, checkpoint, and parent and child shards. An item that is not a usable lease (workers and Sync skip it) is shown as an "invalid" row with its problems.

With --stream, also shows how far behind each checkpoint is. For a lease checkpointed at a sequence number (or at TRIM_HORIZON), kine reads one record just after the checkpoint: BEHIND is that record's age (how long the oldest unprocessed record has waited), and the JSON also gives the MillisBehindLatest Kinesis reports at that position. "caught up" means no record follows the checkpoint; "finished" is a lease at SHARD_END; "not started" is a lease still at LATEST or AT_TIMESTAMP (no position to compare); "shard gone" is a lease whose shard has aged out of the stream. It also lists the stream's shards that have no lease.`

  static override examples = [
    {
      description: 'Who holds what.',
      command: '<%= config.bin %> <%= command.id %> orders-consumer',
    },
    {
      description: 'How far behind each checkpoint is.',
      command: '<%= config.bin %> <%= command.id %> orders-consumer --stream orders',
    },
    {
      description: 'As JSON.',
      command: '<%= config.bin %> <%= command.id %> orders-consumer --stream orders --json',
    },
    {
      description: 'Against local emulators.',
      command:
        '<%= config.bin %> <%= command.id %> orders-consumer --dynamodb-endpoint http://127.0.0.1:4568 --stream orders --endpoint http://127.0.0.1:4567',
    },
  ]

  static override enableJsonFlag = true

  static override args = {
    table: Args.string({ description: 'name of the DynamoDB lease table', required: true }),
  }

  static override flags = {
    stream: Flags.string({
      description: 'the stream the table follows: also show how far behind each checkpoint is',
    }),
  }

  async run(): Promise<LeasesReport> {
    const { args, flags } = await this.parse(Leases)
    const aws = await this.awsClients(flags)
    const report = await leasesReport(aws.dynamodb(), () => aws.kinesis(), {
      table: args.table,
      ...(flags.stream === undefined ? {} : { streamName: flags.stream }),
      now: systemClock.wallNow(),
    })
    const columns: Column<ReportRow>[] = [
      { header: 'shard', get: (l) => l.shardId ?? '(no leaseKey)' },
      { header: 'state', get: (l) => l.state },
      leaseColumn('owner', (l) =>
        l.checkpointOwner === null
          ? (l.owner ?? '-')
          : `${l.owner ?? '-'} (from ${l.checkpointOwner})`,
      ),
      leaseColumn('counter', (l) => String(l.leaseCounter), 'right'),
      leaseColumn('checkpoint', (l) =>
        l.checkpointSubSequenceNumber > 0
          ? `${l.checkpoint}.${l.checkpointSubSequenceNumber}`
          : l.checkpoint,
      ),
      leaseColumn('parents', (l) => list(l.parentShardIds)),
      leaseColumn('children', (l) => list(l.childShardIds)),
    ]
    if (report.stream !== undefined) columns.push(leaseColumn('behind', (l) => describeLag(l.lag)))
    if (report.invalid.length > 0) {
      columns.push({
        header: 'problem',
        get: (l) => (isInvalidRow(l) ? `not a usable lease: ${l.problems.join('; ')}` : ''),
      })
    }
    const leases = report.leases.filter((l): l is LeaseRow => !isInvalidRow(l))
    const held = leases.filter((l) => l.state === 'held' || l.state === 'handoff').length
    const owners = new Set(leases.flatMap((l) => (l.owner === null ? [] : [l.owner]))).size
    const unusable =
      report.invalid.length === 0 ? '' : `; ${plural(report.invalid.length, 'invalid item')}`
    const lines = [
      `Table  ${report.table}: ${plural(leases.length, 'lease')}, ${held} held by ${plural(owners, 'worker')}${unusable}`,
      '',
      report.leases.length === 0 ? '(no leases)' : renderTable(columns, report.leases),
    ]
    if (report.stream !== undefined && report.stream.shardsWithoutLease.length > 0) {
      lines.push(
        '',
        `Shards of ${report.stream.name} with no lease: ${report.stream.shardsWithoutLease.join(', ')}`,
      )
    }
    this.log(lines.join('\n'))
    for (const bad of report.invalid) {
      this.note(
        `warning: item ${bad.leaseKey ?? '(no leaseKey)'} is not a lease: ${bad.problems.join('; ')}`,
      )
    }
    return report
  }
}
