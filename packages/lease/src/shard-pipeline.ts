// One held shard's pipeline: the start hook, then ShardReader batches into the app's handler with
// retries (never skipping a batch), checkpoints, and at the shard's end the end hook, child leases,
// SHARD_END and release (rule 8 of docs/lease-protocol.md, in that order). Every wait and the
// handler's context share the lease's abort signal, so a lost lease stops the shard at once and
// nothing more is written.

import {
  InvalidConfigError,
  InvalidLeaseItemError,
  LeaseLostError,
  ShardReader,
  comparePositions,
  isKineError,
  type ChildShard,
  type KineRecord,
  type Logger,
  type Lease,
  type RecordPosition,
  type ShardPosition,
} from '@kine/core'
import { abortReason, backoffDelay, isSequenceNumber, raceAbort } from '@kine/core/lease-table'
import type { RecordsContext, ShardContext } from './context.js'
import type { HeldLease } from './held-lease.js'
import type { PipelineHost } from './pipeline-host.js'

/** Why a handler loop gave up on a batch. */
class GiveUp extends Error {
  constructor(readonly policy: 'release-lease' | 'stop') {
    super(`handler failed: ${policy}`)
  }
}

/**
 * Where a lease's shard is read from (rule 7 of docs/lease-protocol.md); undefined for an
 * `AT_TIMESTAMP` lease without a timestamp.
 */
export function startPosition(
  lease: Lease,
  timestamp: Date | undefined,
): ShardPosition | undefined {
  const checkpoint = lease.checkpoint
  if (isSequenceNumber(checkpoint)) {
    return {
      type: 'AFTER_CHECKPOINT',
      sequenceNumber: checkpoint,
      subSequenceNumber: lease.checkpointSubSequenceNumber,
    }
  }
  if (checkpoint === 'TRIM_HORIZON' || checkpoint === 'LATEST')
    return checkpoint as 'TRIM_HORIZON' | 'LATEST'
  if (checkpoint === 'AT_TIMESTAMP') {
    return timestamp === undefined ? undefined : { type: 'AT_TIMESTAMP', timestamp }
  }
  return undefined
}

/** Runs the pipeline of `h` until its shard ends, the lease goes, or the worker stops. */
export async function runPipeline(host: PipelineHost, h: HeldLease): Promise<void> {
  const o = host.options
  const log = host.logger.child({ shardId: h.shardId })
  const dims = { StreamName: o.streamName, ShardId: h.shardId }
  const signal = h.pipeline.signal
  const readSignal = AbortSignal.any([h.pipeline.signal, h.reading.signal])
  const base: ShardContext = { shardId: h.shardId, workerId: host.workerId, signal }
  let giveUp: GiveUp | undefined
  try {
    const position = startPosition(h.lease, host.timestamp)
    if (position === undefined)
      throw new InvalidLeaseItemError(h.shardId, [
        `checkpoint ${h.lease.checkpoint}: no position to start reading from`,
      ])
    log.debug({ checkpoint: h.lease.checkpoint }, 'shard pipeline started')
    const init = o.initialize
    if (init !== undefined) await runHandler(host, h, 'initialize', () => init(base))

    const reader = new ShardReader({
      client: o.kinesis,
      streamName: o.streamName,
      shardId: h.shardId,
      position,
      ...(h.lease.startingHashKey !== undefined && h.lease.endingHashKey !== undefined
        ? {
            hashKeyRange: {
              startingHashKey: h.lease.startingHashKey,
              endingHashKey: h.lease.endingHashKey,
            },
          }
        : {}),
      ...(o.limit !== undefined ? { limit: o.limit } : {}),
      ...(o.limits !== undefined ? { limits: o.limits } : {}),
      ...(o.idleWaitMs !== undefined ? { idleWaitMs: o.idleWaitMs } : {}),
      clock: o.clock,
      logger: host.logger,
      metrics: o.metrics,
      signal: readSignal,
      random: o.random,
    })
    let children: readonly ChildShard[] | undefined
    // Ends of the delivered batches whose checkpoint the table has not acknowledged yet.
    const unacknowledged: RecordPosition[] = []
    for await (const batch of reader.read()) {
      const records = batch.records
      if (records.length > 0) {
        // Everything after the stored checkpoint is delivered again after a failover: hold this
        // batch back until at most maxUncheckpointedBatches - 1 delivered ones lack a checkpoint.
        await awaitCheckpoints(
          host,
          h,
          unacknowledged,
          o.maxUncheckpointedBatches - 1,
          readSignal,
          log,
        )
        const first = records[0] as KineRecord
        const last = records[records.length - 1] as KineRecord
        o.metrics.record(
          'ShardIteratorAgeInMs',
          Math.max(0, o.clock.wallNow() - first.approximateArrivalTimestamp.getTime()),
          'Milliseconds',
          dims,
        )
        const lastPosition = {
          sequenceNumber: last.sequenceNumber,
          subSequenceNumber: last.subSequenceNumber,
        }
        h.delivered = lastPosition
        let bytes = 0
        for (const r of records) bytes += r.data.byteLength
        const started = o.clock.now()
        await runHandler(host, h, 'processRecords', (attempt) => {
          const ctx: RecordsContext = {
            ...base,
            millisBehindLatest: batch.millisBehindLatest,
            attempt,
            checkpoint: (record?: KineRecord | RecordPosition) => {
              const at =
                record === undefined
                  ? lastPosition
                  : {
                      sequenceNumber: record.sequenceNumber,
                      subSequenceNumber: record.subSequenceNumber,
                    }
              return requestCheckpoint(host, h, at)
            },
          }
          return o.processRecords(records, ctx)
        })
        o.metrics.record('ProcessingTime', o.clock.now() - started, 'Milliseconds', dims)
        o.metrics.record('RecordsProcessed', records.length, 'Count', dims)
        o.metrics.record('BytesProcessed', bytes, 'Bytes', dims)
        unacknowledged.push(lastPosition)
        if (o.checkpointing === 'batch') {
          if (h.wanted === undefined || comparePositions(lastPosition, h.wanted) > 0)
            h.wanted = lastPosition
          // Not awaited: the write overlaps the next batch; awaitCheckpoints bounds how far
          // delivery may run ahead of the table.
          if (h.phase === 'running') void flushQuietly(host, h, log)
        }
      }
      if (batch.shardEnded) {
        children = batch.childShards ?? []
        break
      }
      if (h.phase !== 'running') break
    }
    if (children !== undefined && h.phase === 'running') await endShard(host, h, children)
  } catch (error) {
    if (error instanceof GiveUp) giveUp = error
    else if (signal.aborted || h.phase !== 'running') {
      // Aborted or asked to stop reading: the phase below says what happens next.
    } else if (isKineError(error) && error.code === 'SHARD_NOT_FOUND') {
      // Aged out of the stream (rule 8): treat it as ended, so it never blocks its children.
      log.warn({ err: error }, 'shard no longer in the stream: ending its lease')
      try {
        await endShard(host, h, [])
      } catch (endError) {
        if (!signal.aborted) host.reportError(endError, h.shardId)
      }
    } else if (error instanceof LeaseLostError) {
      // The lease went while checkpointing; the worker has already aborted the pipeline.
    } else {
      host.reportError(error, h.shardId)
      giveUp = new GiveUp('release-lease')
    }
  }
  await host.pipelineEnded(h, giveUp?.policy)
}

async function flushQuietly(host: PipelineHost, h: HeldLease, log: Logger): Promise<void> {
  try {
    await host.flush(h)
  } catch (error) {
    if (error instanceof LeaseLostError || h.pipeline.signal.aborted) return
    // A transient failure: the next checkpoint (or the release) carries this position.
    log.warn({ err: error }, 'checkpoint failed; the next one carries it')
  }
}

/**
 * Waits until at most `keep` of the `delivered` batch ends lack an acknowledged checkpoint
 * (pruning the acknowledged ones), retrying the wanted checkpoint with backoff meanwhile. With
 * manual checkpointing and nothing wanted, it waits for the app's next checkpoint. Rejects once
 * `signal` aborts (lease lost, stop, handoff): the pipeline's phase then says what follows.
 */
async function awaitCheckpoints(
  host: PipelineHost,
  h: HeldLease,
  delivered: RecordPosition[],
  keep: number,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const o = host.options
  const prune = (): boolean => {
    while (delivered.length > 0 && !h.isAhead(delivered[0] as RecordPosition)) delivered.shift()
    return delivered.length <= keep
  }
  for (let failures = 0; !prune();) {
    signal.throwIfAborted()
    const wanted = h.wanted
    if (wanted === undefined || !h.isAhead(wanted)) {
      // Manual checkpointing: only the app's next checkpoint can release the batch.
      await h.writtenChange(signal)
      continue
    }
    try {
      // Queued behind any write in flight, so this also waits for that one.
      await host.flush(h)
      failures = 0
    } catch (error) {
      if (error instanceof LeaseLostError || h.pipeline.signal.aborted) throw error
      failures++
      const delay = backoffDelay(Math.min(failures - 1, 30), {
        baseMs: 100,
        capMs: Math.max(100, Math.round(o.leaseDurationMs / 4)),
        random: o.random,
      })
      log.warn(
        { err: error, failures, delayMs: Math.round(delay), waiting: delivered.length },
        'checkpoint failed; holding the next batch back until it lands',
      )
      await o.clock.sleep(delay, signal)
    }
  }
}

/** ctx.checkpoint(): never backwards, never past the last record delivered, never after the abort. */
async function requestCheckpoint(
  host: PipelineHost,
  h: HeldLease,
  at: RecordPosition,
): Promise<void> {
  // Once the pipeline has aborted, whatever the handler did since is not to be trusted as
  // processed: a late checkpoint (manual mode) would skip the rest of the batch.
  if (h.pipeline.signal.aborted) throw abortReason(h.pipeline.signal)
  // comparePositions throws InvalidConfigError for a position that is not one.
  if (h.delivered === undefined || comparePositions(at, h.delivered) > 0) {
    throw new InvalidConfigError('checkpoint', [
      `${at.sequenceNumber}/${at.subSequenceNumber} is after the last record delivered`,
    ])
  }
  if (h.wanted === undefined || comparePositions(at, h.wanted) > 0) h.wanted = at
  await host.flush(h)
}

/**
 * Runs one handler call until it succeeds, retrying with backoff; after the retries the failure
 * policy applies. Rejects with the abort reason once the lease's signal aborts.
 */
async function runHandler(
  host: PipelineHost,
  h: HeldLease,
  hook: string,
  call: (attempt: number) => Promise<void> | void,
): Promise<void> {
  const o = host.options
  const signal = h.pipeline.signal
  for (let attempt = 1; ; attempt++) {
    signal.throwIfAborted()
    const slow = new AbortController()
    const started = o.clock.now()
    if (o.maxProcessTimeMs !== Infinity) {
      const watching = AbortSignal.any([slow.signal, signal])
      const watch = async (): Promise<void> => {
        // A timer may fire a fraction of a millisecond early: report only once the bound has passed.
        for (
          let left = o.maxProcessTimeMs;
          left > 0;
          left = o.maxProcessTimeMs - (o.clock.now() - started)
        ) {
          await o.clock.sleep(left, watching)
        }
        host.slowHandler(h, o.clock.now() - started)
      }
      watch().catch(() => {})
    }
    try {
      await raceAbort(
        Promise.resolve().then(() => call(attempt)),
        signal,
      )
      return
    } catch (error) {
      if (signal.aborted) throw abortReason(signal)
      host.logger.warn(
        { err: error, shardId: h.shardId, hook, attempt },
        'handler failed; retrying the batch',
      )
      host.events.emit('handlerError', { shardId: h.shardId, error, attempt })
      if (attempt > o.handlerRetries) {
        if (o.onHandlerFailure === 'release-lease' || o.onHandlerFailure === 'stop') {
          throw new GiveUp(o.onHandlerFailure)
        }
      }
      const delay = backoffDelay(Math.min(attempt - 1, 30), {
        baseMs: o.handlerRetryBaseDelayMs,
        capMs: o.handlerRetryMaxDelayMs,
        random: o.random,
      })
      await o.clock.sleep(delay, signal)
    } finally {
      slow.abort()
    }
  }
}

/** Rule 8: end hook, child leases, then SHARD_END, then release. */
async function endShard(
  host: PipelineHost,
  h: HeldLease,
  children: readonly ChildShard[],
): Promise<void> {
  const o = host.options
  const childShardIds = children.map((c) => c.shardId)
  const hook = o.shardEnded
  if (hook !== undefined) {
    await runHandler(host, h, 'shardEnded', () =>
      hook({
        shardId: h.shardId,
        workerId: host.workerId,
        signal: h.pipeline.signal,
        childShardIds,
      }),
    )
  }
  // Anything checkpointed manually but not yet written goes first (a checkpoint never moves back).
  await host.finishShard(h, children)
  host.events.emit('shardEnded', { shardId: h.shardId, childShardIds })
}
