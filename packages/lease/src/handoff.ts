// Cooperative handoff, rule 4 of docs/lease-protocol.md, both sides. The new owner marks the lease
// as its own and waits (renewing it) for the previous owner's one handoff checkpoint, or for the
// handoff timeout; the previous owner, on finding the mark, finishes its batch in flight and writes
// that checkpoint, which also ends the handoff.

import { AbortedError, LeaseLostError, type Lease } from '@kine/core'
import {
  beginHandoffInput,
  clearCheckpointOwnerInput,
  handoffCheckpointInput,
  isLeaseFinished,
} from '@kine/core/lease-table'
import type { HeldLease } from './held-lease.js'
import type { HolderWrites } from './holder-writes.js'
import type { WorkerContext } from './worker-context.js'

/** What the handoff needs from the worker running it. */
export interface HandoffHost {
  /** False once stop() has begun: nothing new is started. */
  isRunning(): boolean
  /** Starts reading a lease whose handoff has completed. */
  startPipeline(h: HeldLease): void
  /** Makes the next scan happen now (a lease was given back). */
  scanSoon(): void
  /** Aborts when the worker stops. */
  readonly signal: AbortSignal
}

/** Both sides of the cooperative handoffs of one worker. */
export class Handoff {
  readonly #ctx: WorkerContext
  readonly #writes: HolderWrites
  readonly #host: HandoffHost

  constructor(ctx: WorkerContext, writes: HolderWrites, host: HandoffHost) {
    this.#ctx = ctx
    this.#writes = writes
    this.#host = host
  }

  // ---- the new owner's side ----

  /** Takes `seen` from its owner cooperatively, then waits for the handoff to complete. */
  async begin(seen: Lease): Promise<void> {
    const { options: o, workerId, logger, events, workerDims } = this.#ctx
    const previousOwner = seen.leaseOwner
    if (previousOwner === undefined) return
    const sentAt = o.clock.now()
    const taken = await this.#writes.conditionalTake(
      seen,
      beginHandoffInput(o.tableName, {
        leaseKey: seen.leaseKey,
        newOwner: workerId,
        previousOwner,
        seenCounter: seen.leaseCounter,
      }),
      // The previous owner may already have written its handoff checkpoint and cleared the mark.
      (current) =>
        current.checkpointOwner === previousOwner || current.checkpointOwner === undefined,
      'handoff',
    )
    if (taken === undefined) return
    const h = this.#writes.hold(taken, sentAt, 'handoff-in')
    h.handoffSince = sentAt
    h.otherOwner = previousOwner
    if (!this.#host.isRunning()) {
      this.abandon(h)
      return
    }
    o.metrics.record('LeasesTaken', 1, 'Count', workerDims)
    logger.info({ shardId: h.shardId, from: previousOwner }, 'lease handoff begun')
    events.emit('leaseTaken', { shardId: h.shardId, handoff: true })
    void this.#poll(h)
  }

  /** Starts reading once the old owner's checkpoint landed, or after the timeout. */
  async #poll(h: HeldLease): Promise<void> {
    const { options: o, workerId, logger, store } = this.#ctx
    const every = Math.max(25, Math.min(o.leaseDurationMs / 10, 1_000))
    while (h.phase === 'handoff-in') {
      try {
        await o.clock.sleep(every, this.#host.signal)
      } catch {
        return
      }
      if (h.phase !== 'handoff-in') return
      try {
        if (o.clock.now() - (h.handoffSince ?? 0) >= o.handoffTimeoutMs) {
          await h.enqueue(async () => {
            if (h.phase !== 'handoff-in') return
            const lease = await this.#writes.write(h, (counter) =>
              clearCheckpointOwnerInput(o.tableName, {
                leaseKey: h.shardId,
                owner: workerId,
                counter,
              }),
            )
            logger.info(
              { shardId: h.shardId, previousOwner: h.otherOwner },
              'handoff timed out; reading from the stored checkpoint',
            )
            this.#beginReading(h, lease ?? h.lease)
          })
          return
        }
        const current = await store.get(h.shardId)
        if (h.phase !== 'handoff-in') return
        if (current?.leaseOwner === workerId && current.checkpointOwner === undefined) {
          this.#beginReading(h, current)
          return
        }
      } catch (error) {
        if (error instanceof LeaseLostError || h.phase !== 'handoff-in') return
        logger.warn({ err: error, shardId: h.shardId }, 'handoff poll failed')
      }
    }
  }

  #beginReading(h: HeldLease, lease: Lease): void {
    if (h.phase !== 'handoff-in' || !this.#host.isRunning()) return
    const { logger } = this.#ctx
    h.lease = lease
    h.written = {
      checkpoint: lease.checkpoint,
      subSequenceNumber: lease.checkpointSubSequenceNumber,
    }
    h.phase = 'running'
    if (isLeaseFinished(lease)) {
      // The previous owner finished the shard during the handoff: nothing to read, give it up.
      logger.info({ shardId: h.shardId }, 'handoff complete at SHARD_END: releasing')
      void this.#writes.release(h).then(() => this.#host.scanSoon())
      return
    }
    logger.info({ shardId: h.shardId, checkpoint: lease.checkpoint }, 'handoff complete')
    this.#host.startPipeline(h)
  }

  /**
   * Stopping while a handoff to this worker is still under way: the lease is left to expire, not
   * released. The previous owner may still be reading until its rule-2 deadline; a release would
   * let a third worker take the free lease at once and read beside it. Others wait more than F
   * after this worker's last write, which falls after that deadline.
   */
  abandon(h: HeldLease): void {
    if (h.phase !== 'handoff-in') return
    this.#writes.drop(h, new AbortedError('consumer stopped during a handoff'))
    this.#ctx.logger.info(
      { shardId: h.shardId, previousOwner: h.otherOwner },
      'stopping mid-handoff: leaving the lease to expire rather than release it',
    )
  }

  // ---- the previous owner's side ----

  /** Releases `h`; a handoff found by the release write (or a flush before it) is finished instead. */
  async release(h: HeldLease): Promise<void> {
    await this.#writes.release(h)
    if (h.isHandingOff()) await this.finish(h)
  }

  /** A write of this worker found the handoff mark of `newOwner` on `h`. */
  found(h: HeldLease, newOwner: string): void {
    // Found again by a write of the batch being finished: the handoff checkpoint is still due.
    if (h.phase === 'handoff-out') return
    if (h.phase !== 'running' && h.phase !== 'stopping') {
      this.#writes.lose(h, 'taken', newOwner)
      return
    }
    const { options, logger, workerDims } = this.#ctx
    h.phase = 'handoff-out'
    h.otherOwner = newOwner
    h.reading.abort(new AbortedError('lease handed off'))
    options.metrics.record('LeasesHandedOff', 1, 'Count', workerDims)
    logger.info(
      { shardId: h.shardId, newOwner },
      'lease is being handed off; finishing the batch in flight',
    )
    if (h.running === undefined) void this.finish(h)
  }

  /** One checkpoint write that also ends the handoff; then the lease is the new owner's. */
  finish(h: HeldLease): Promise<void> {
    return h.enqueue(async () => {
      if (h.phase !== 'handoff-out' || h.otherOwner === undefined) return
      const { options: o, workerId, logger, events, store } = this.#ctx
      try {
        // Even after an abandoned batch (stop timeout, slow handler) this is safe: `wanted` holds
        // only what completed before the abort, and the write frees the new owner at once.
        if (o.clock.now() < h.deadline(o.leaseDurationMs)) {
          const at = handoffPosition(h)
          const result = await store.update(
            handoffCheckpointInput(o.tableName, {
              leaseKey: h.shardId,
              previousOwner: workerId,
              newOwner: h.otherOwner,
              checkpoint: at.checkpoint,
              subSequenceNumber: at.subSequenceNumber,
            }),
          )
          logger.info(
            { shardId: h.shardId, applied: result.applied, checkpoint: at.checkpoint },
            'handoff checkpoint',
          )
          if (result.applied) {
            h.written = at
            events.emit('checkpoint', { shardId: h.shardId, ...at })
          }
        }
      } catch (error) {
        logger.warn(
          { err: error, shardId: h.shardId },
          'handoff checkpoint failed; the new owner takes over after its timeout',
        )
      } finally {
        this.#writes.lose(h, 'handed-off', h.otherOwner)
      }
    })
  }
}

/**
 * Where the new owner continues: past everything processed. At a shard's end whose hook and child
 * leases are done there is nothing left to read, so `SHARD_END` is handed over rather than make the
 * new owner read the last batch and run the end hook again.
 */
function handoffPosition(h: HeldLease): { checkpoint: string; subSequenceNumber: number } {
  if (h.endReady) return { checkpoint: 'SHARD_END', subSequenceNumber: 0 }
  if (h.wanted !== undefined && h.isAhead(h.wanted)) {
    return { checkpoint: h.wanted.sequenceNumber, subSequenceNumber: h.wanted.subSequenceNumber }
  }
  return h.written
}
