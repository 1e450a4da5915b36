// What `kine leases` reports: every lease in the table, and with a stream, how far behind each
// checkpoint is.
//
// How "behind" is measured (honest, and cheap: two calls per shard, one record read): an iterator
// just after the checkpoint (AFTER_SEQUENCE_NUMBER; AT_SEQUENCE_NUMBER when the checkpoint is
// inside a KPL aggregate, whose rest is then counted as waiting), then one GetRecords with Limit 1.
// The first record returned is the oldest one not yet processed: its age (now − its approximate
// arrival time) is how long it has been waiting. The response's MillisBehindLatest is given too:
// Kinesis' own figure for how far that position is from the tip of the shard. An empty answer
// with MillisBehindLatest 0, or a shard that ends right there, means caught up.

import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { listShards, scanLeases, type Lease } from '@kine/core'
import { toKineError } from '@kine/core/lease-table'

/** Where a lease stands against its shard. */
type LagStatus =
  /** Nothing after the checkpoint. */
  | 'caught-up'
  /** Records wait after the checkpoint. */
  | 'behind'
  /** The checkpoint is SHARD_END: the shard was processed to its end. */
  | 'finished'
  /** The checkpoint is LATEST or AT_TIMESTAMP: processing has not started, so there is no position to compare. */
  | 'not-started'
  /** The shard is no longer in the stream (aged out): nothing is left to read. */
  | 'shard-gone'
  /** Reading the shard failed; `note` says why. */
  | 'error'

/** How far behind one lease's checkpoint is. */
export interface LeaseLag {
  readonly status: LagStatus
  /** Age of the oldest record after the checkpoint (now − its arrival), when one was read. */
  readonly oldestUnprocessedAgeMs: number | null
  /** MillisBehindLatest of a read at the checkpoint. */
  readonly millisBehindLatest: number | null
  readonly note: string | null
}

/** One lease as `kine leases --json` prints it. */
export interface LeaseRow {
  readonly shardId: string
  /** held: has an owner; free: no owner; ended: checkpoint SHARD_END; handoff: changing hands (checkpointOwner set). */
  readonly state: 'held' | 'free' | 'ended' | 'handoff'
  readonly owner: string | null
  readonly leaseCounter: number
  readonly checkpoint: string
  readonly checkpointSubSequenceNumber: number
  readonly ownerSwitchesSinceCheckpoint: number
  readonly parentShardIds: readonly string[]
  readonly childShardIds: readonly string[]
  readonly checkpointOwner: string | null
  readonly pendingCheckpoint: string | null
  /** Only with `--stream`. */
  readonly lag?: LeaseLag
}

/**
 * An item of the table that is not a usable lease (it does not parse, or parses into something no
 * worker can use: an empty owner, a hash key that is not a decimal number, a wrong attribute type).
 * Workers and Sync skip it; it is listed among the leases so it is not missed.
 */
interface InvalidLeaseRow {
  /** The item's `leaseKey`, when it has a readable one. */
  readonly shardId: string | null
  readonly state: 'invalid'
  /** What is wrong with it, one problem each. */
  readonly problems: readonly string[]
}

/** One row of `kine leases`: a lease, or an item that is not a usable one. */
export type ReportRow = LeaseRow | InvalidLeaseRow

/** True for the row of an item that is not a usable lease. */
export function isInvalidRow(row: ReportRow): row is InvalidLeaseRow {
  return row.state === 'invalid'
}

/** Everything `kine leases` shows. */
export interface LeasesReport {
  readonly table: string
  /** Every item of the table by shard id: the leases, and (`state: 'invalid'`) the unusable items. */
  readonly leases: ReportRow[]
  /** Items that are not usable leases, with what is wrong with each (also among `leases`). */
  readonly invalid: { readonly leaseKey: string | null; readonly problems: readonly string[] }[]
  /** Only with `--stream`. */
  readonly stream?: {
    readonly name: string
    /** Shards in the stream that have no lease in the table. */
    readonly shardsWithoutLease: string[]
  }
}

/** Options of {@link leasesReport}. */
interface LeasesReportOptions {
  readonly table: string
  /** Compare checkpoints with this stream's shards. @defaultValue no comparison */
  readonly streamName?: string
  /** Wall-clock now, epoch ms. */
  readonly now: number
}

const CONCURRENCY = 8

function stateOf(lease: Lease): LeaseRow['state'] {
  if (lease.checkpoint === 'SHARD_END') return 'ended'
  if (lease.checkpointOwner !== undefined) return 'handoff'
  return lease.leaseOwner === undefined ? 'free' : 'held'
}

/** Reads the table (and the stream) and builds the report. */
export async function leasesReport(
  dynamodb: DynamoDBClient,
  kinesis: () => KinesisClient,
  options: LeasesReportOptions,
): Promise<LeasesReport> {
  const scan = await scanLeases(dynamodb, options.table)
  const leases = [...scan.leases].sort((a, b) => a.leaseKey.localeCompare(b.leaseKey))
  const invalid = scan.invalid.map((e) => ({ leaseKey: e.leaseKey ?? null, problems: e.problems }))
  const invalidRows = invalid.map((e): InvalidLeaseRow => ({
    shardId: e.leaseKey,
    state: 'invalid',
    problems: e.problems,
  }))
  const rows = leases.map((lease): LeaseRow => ({
    shardId: lease.leaseKey,
    state: stateOf(lease),
    owner: lease.leaseOwner ?? null,
    leaseCounter: lease.leaseCounter,
    checkpoint: lease.checkpoint,
    checkpointSubSequenceNumber: lease.checkpointSubSequenceNumber,
    ownerSwitchesSinceCheckpoint: lease.ownerSwitchesSinceCheckpoint,
    parentShardIds: lease.parentShardIds,
    childShardIds: lease.childShardIds,
    checkpointOwner: lease.checkpointOwner ?? null,
    pendingCheckpoint: lease.pendingCheckpoint ?? null,
  }))
  if (options.streamName === undefined)
    return { table: options.table, leases: byShard(rows, invalidRows), invalid }

  const streamName = options.streamName
  const client = kinesis()
  const shards = await listShards(client, { streamName, maxAttempts: 3 })
  const byId = new Map(shards.map((s) => [s.ShardId ?? '', s]))
  // A shard with an unusable item is shown as that item's row, not as a shard without a lease.
  const leased = new Set([
    ...leases.map((l) => l.leaseKey),
    ...invalid.flatMap((e) => (e.leaseKey === null ? [] : [e.leaseKey])),
  ])
  const lags = new Map<string, LeaseLag>()
  const queue = [...leases]
  const worker = async (): Promise<void> => {
    for (let lease = queue.shift(); lease !== undefined; lease = queue.shift()) {
      lags.set(
        lease.leaseKey,
        await leaseLag(client, streamName, lease, byId.get(lease.leaseKey), options.now),
      )
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker))
  return {
    table: options.table,
    leases: byShard(
      rows.map((row) => {
        const lag = lags.get(row.shardId)
        return lag === undefined ? row : { ...row, lag }
      }),
      invalidRows,
    ),
    invalid,
    stream: {
      name: streamName,
      shardsWithoutLease: shards.flatMap((s) =>
        s.ShardId !== undefined && !leased.has(s.ShardId) ? [s.ShardId] : [],
      ),
    },
  }
}

/** Leases and unusable items in one list by shard id; items without a readable key last. */
function byShard(rows: LeaseRow[], invalid: InvalidLeaseRow[]): ReportRow[] {
  const key = (r: ReportRow): string => r.shardId ?? '\uffff'
  return [...rows, ...invalid].sort((a, b) => key(a).localeCompare(key(b)))
}

const lag = (status: LagStatus, fields: Partial<Omit<LeaseLag, 'status'>> = {}): LeaseLag => ({
  status,
  oldestUnprocessedAgeMs: fields.oldestUnprocessedAgeMs ?? null,
  millisBehindLatest: fields.millisBehindLatest ?? null,
  note: fields.note ?? null,
})

/** How far behind one lease is; see the comment at the top of this file. */
export async function leaseLag(
  kinesis: KinesisClient,
  streamName: string,
  lease: Lease,
  shard: Shard | undefined,
  now: number,
): Promise<LeaseLag> {
  if (lease.checkpoint === 'SHARD_END') return lag('finished')
  if (shard === undefined)
    return lag('shard-gone', { note: 'not in the stream any more (aged out)' })
  if (lease.checkpoint === 'LATEST' || lease.checkpoint === 'AT_TIMESTAMP') {
    return lag('not-started', {
      note: `starts at ${lease.checkpoint} when first read; no position to compare yet`,
    })
  }
  const position: Omit<GetShardIteratorCommandInput, 'StreamName' | 'ShardId'> =
    lease.checkpoint === 'TRIM_HORIZON'
      ? { ShardIteratorType: 'TRIM_HORIZON' }
      : {
          ShardIteratorType:
            lease.checkpointSubSequenceNumber > 0 ? 'AT_SEQUENCE_NUMBER' : 'AFTER_SEQUENCE_NUMBER',
          StartingSequenceNumber: lease.checkpoint,
        }
  try {
    const iterator = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: streamName, ShardId: lease.leaseKey, ...position }),
    )
    if (iterator.ShardIterator === undefined)
      return lag('caught-up', { note: "at the shard's end" })
    const page = await kinesis.send(
      new GetRecordsCommand({ ShardIterator: iterator.ShardIterator, Limit: 1 }),
    )
    const first = page.Records?.[0]
    const millisBehindLatest = page.MillisBehindLatest ?? null
    if (first !== undefined) {
      const arrival = first.ApproximateArrivalTimestamp?.getTime()
      return lag('behind', {
        oldestUnprocessedAgeMs: arrival === undefined ? null : Math.max(0, now - arrival),
        millisBehindLatest,
      })
    }
    if (page.NextShardIterator === undefined) {
      return lag('caught-up', { millisBehindLatest, note: "at the shard's end" })
    }
    // An empty page with MillisBehindLatest > 0: records exist further on (Kinesis can answer
    // empty across a gap); report Kinesis' figure.
    return millisBehindLatest === null || millisBehindLatest === 0
      ? lag('caught-up', { millisBehindLatest })
      : lag('behind', { millisBehindLatest })
  } catch (error) {
    return lag('error', {
      note: toKineError(error, `shard ${lease.leaseKey}`, 'SHARD_NOT_FOUND').message,
    })
  }
}
