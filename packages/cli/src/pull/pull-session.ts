// One `kine pull`: a core ShardReader per shard, parents read before their children, every batch
// written (with backpressure) before the next one is asked for, and one place that decides when
// the pull is over: --max reached, --until-caught-up satisfied, every shard ended, or stopped.

import type { KinesisClient } from '@aws-sdk/client-kinesis'
import {
  ShardReader,
  systemClock,
  type Clock,
  type KineRecord,
  type Logger,
  type ShardPosition,
} from '@kine/core'
import type { PullProgress } from './progress.js'
import { recordLine, type RecordFormat } from './record-line.js'
import { OutputClosedError, type RecordSink } from './record-sink.js'

/** Why a pull ended. */
export type PullEnd = 'max' | 'caught-up' | 'ended' | 'interrupted' | 'output-closed'

/** A shard to read, with its parents (read first, when they are read at all). */
export interface PullShard {
  readonly shardId: string
  readonly parentShardIds: readonly string[]
}

/** Everything one pull needs. */
export interface PullOptions {
  readonly client: KinesisClient
  readonly streamName: string
  /** The shards chosen by the flags. */
  readonly shards: readonly PullShard[]
  /** Where the chosen shards start. */
  readonly position: ShardPosition
  /** Where a shard reached through --follow-children starts. */
  readonly childPosition: ShardPosition
  readonly followChildren: boolean
  /** Stop after this many records in total. @defaultValue no limit */
  readonly max?: number
  /** Stop once every shard read is caught up (an empty batch with MillisBehindLatest 0). @defaultValue false */
  readonly untilCaughtUp?: boolean
  /** A fixed wait between two GetRecords calls of a shard (-z); else the reader's own pacing. @defaultValue reader's pacing */
  readonly intervalMs?: number
  readonly format: RecordFormat
  readonly sink: RecordSink
  readonly progress: PullProgress
  /** Aborting it ends the pull cleanly (Ctrl-C). */
  readonly signal: AbortSignal
  /** @defaultValue silent */
  readonly logger?: Logger
  /** @defaultValue systemClock */
  readonly clock?: Clock
  /** Consecutive retryable failures a shard tolerates before the pull fails. @defaultValue 5 */
  readonly maxRetries?: number
}

// Lines are written in chunks of about this many characters: fewer writes than one per record,
// and no whole-batch string (a batch can be 10 MB).
const CHUNK = 64 * 1024

class PullStopped extends Error {
  constructor(readonly end: PullEnd) {
    super(`pull ended: ${end}`)
  }
}

/** What a pull did. */
interface PullResult {
  readonly end: PullEnd
  readonly records: number
}

/** Runs the pull to its end; rejects with the first error that retrying could not fix. */
export async function runPull(options: PullOptions): Promise<PullResult> {
  const clock = options.clock ?? systemClock
  const stop = new AbortController()
  const parents = new Map<string, readonly string[]>()
  /** Every shard this pull reads or will read. */
  const readSet = new Set<string>()
  const started = new Set<string>()
  const ended = new Set<string>()
  const caughtUp = new Map<string, boolean>()
  const tasks: Promise<void>[] = []
  let total = 0
  let settle!: { resolve: (end: PullEnd) => void; reject: (error: unknown) => void }
  const done = new Promise<PullEnd>((resolve, reject) => (settle = { resolve, reject }))
  let over = false

  const finish = (end: PullEnd): void => {
    if (over) return
    over = true
    settle.resolve(end)
    stop.abort(new PullStopped(end))
  }
  const fail = (error: unknown): void => {
    if (over) return
    over = true
    settle.reject(error)
    stop.abort(new PullStopped('interrupted'))
  }
  const onInterrupt = (): void => finish('interrupted')
  if (options.signal.aborted) onInterrupt()
  options.signal.addEventListener('abort', onInterrupt, { once: true })

  const positions = new Map<string, ShardPosition>()
  const add = (shard: PullShard, position: ShardPosition): void => {
    if (readSet.has(shard.shardId)) return
    readSet.add(shard.shardId)
    parents.set(shard.shardId, shard.parentShardIds)
    positions.set(shard.shardId, position)
  }

  /** Starts every shard whose parents (among those read) have all ended. */
  const schedule = (): void => {
    if (over) return
    for (const shardId of readSet) {
      if (started.has(shardId)) continue
      const waiting = (parents.get(shardId) ?? []).some((p) => readSet.has(p) && !ended.has(p))
      if (waiting) {
        options.progress.shardWaiting(shardId)
        continue
      }
      started.add(shardId)
      tasks.push(
        readShard(shardId, positions.get(shardId) ?? options.position).catch((error: unknown) => {
          if (error instanceof OutputClosedError) finish('output-closed')
          else if (!(stop.signal.reason instanceof PullStopped)) fail(error)
        }),
      )
    }
  }

  const checkOver = (): void => {
    if ([...readSet].every((id) => ended.has(id))) {
      finish('ended')
      return
    }
    if (
      options.untilCaughtUp === true &&
      [...readSet].every((id) => ended.has(id) || (started.has(id) && caughtUp.get(id) === true))
    ) {
      finish('caught-up')
    }
  }

  const write = async (shardId: string, records: readonly KineRecord[]): Promise<void> => {
    let chunk = ''
    for (const record of records) {
      chunk += recordLine(record, options.format)
      if (chunk.length >= CHUNK) {
        await options.sink.write(shardId, chunk)
        chunk = ''
      }
    }
    if (chunk !== '') await options.sink.write(shardId, chunk)
  }

  const readShard = async (shardId: string, position: ShardPosition): Promise<void> => {
    const reader = new ShardReader({
      client: options.client,
      streamName: options.streamName,
      shardId,
      position,
      signal: stop.signal,
      maxRetries: options.maxRetries ?? 5,
      // With -z the fixed interval is the only pacing.
      ...(options.intervalMs === undefined ? {} : { idleWaitMs: 0 }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      clock,
    })
    options.progress.shardStarted(shardId, describe(position))
    for await (const batch of reader) {
      let records = batch.records
      if (options.max !== undefined && records.length > options.max - total) {
        records = records.slice(0, Math.max(0, options.max - total))
      }
      // Counted before the write, so shards writing at the same time never pass --max together.
      total += records.length
      options.progress.batch(shardId, records.length, batch.millisBehindLatest)
      if (records.length > 0) await write(shardId, records)
      caughtUp.set(shardId, batch.records.length === 0 && batch.millisBehindLatest === 0)
      if (options.max !== undefined && total >= options.max) {
        finish('max')
        return
      }
      if (batch.shardEnded) {
        ended.add(shardId)
        const children = batch.childShards ?? []
        options.progress.shardEnded(
          shardId,
          children.map((c) => c.shardId),
        )
        if (options.followChildren) {
          for (const child of children) {
            add(
              { shardId: child.shardId, parentShardIds: child.parentShardIds },
              options.childPosition,
            )
          }
        }
        schedule()
        checkOver()
        return
      }
      checkOver()
      if (over) return
      if (options.intervalMs !== undefined) await clock.sleep(options.intervalMs, stop.signal)
    }
  }

  for (const shard of options.shards) add(shard, options.position)
  if (readSet.size === 0) finish('ended')
  else schedule()

  // Let every reader see the abort and finish its write before the caller closes the sink
  // (a task may start another while it ends, hence the loop).
  const settled = async (): Promise<void> => {
    for (let seen = -1; seen !== tasks.length;) {
      seen = tasks.length
      await Promise.allSettled(tasks)
    }
  }
  try {
    const end = await done
    await settled()
    return { end, records: total }
  } catch (error) {
    await settled()
    throw error
  } finally {
    options.signal.removeEventListener('abort', onInterrupt)
  }
}

function describe(position: ShardPosition): string {
  if (typeof position === 'string') return position
  switch (position.type) {
    case 'AT_TIMESTAMP':
      return `AT_TIMESTAMP ${position.timestamp.toISOString()}`
    case 'AT_SEQUENCE_NUMBER':
    case 'AFTER_SEQUENCE_NUMBER':
    case 'AFTER_CHECKPOINT':
      return `${position.type} ${position.sequenceNumber}`
    case 'TRIM_HORIZON':
    case 'LATEST':
      return position.type
  }
}
