// The writes of a lease this worker holds (docs/lease-protocol.md): each goes through the lease's
// queue (one in flight), is fenced on its counter and refused locally once the rule-2 deadline has
// passed; a write whose response was lost is adopted (rule 1); and what happens when a lease goes,
// whichever way it goes.

import type { UpdateItemCommandInput } from '@aws-sdk/client-dynamodb'
import { AbortedError, LeaseLostError, type Lease } from '@kine/core'
import { checkpointLeaseInput, releaseLeaseInput, renewLeaseInput } from '@kine/core/lease-table'
import type { LeaseLostReason } from './context.js'
import { HeldLease, type LeasePhase } from './held-lease.js'
import type { WorkerContext } from './worker-context.js'

/** Renew, checkpoint, release and lose the leases of one worker. */
export class HolderWrites {
  readonly #ctx: WorkerContext
  readonly #onHandoffFound: (h: HeldLease, newOwner: string) => void

  /**
   * @param onHandoffFound called when a write finds that another worker began a cooperative
   *   handoff of the lease (the handoff's old-owner side takes it from there)
   */
  constructor(ctx: WorkerContext, onHandoffFound: (h: HeldLease, newOwner: string) => void) {
    this.#ctx = ctx
    this.#onHandoffFound = onHandoffFound
  }

  get #F(): number {
    return this.#ctx.options.leaseDurationMs
  }

  /** Starts holding `lease`, taken by a write sent at `sentAt`; its deadline runs from there. */
  hold(lease: Lease, sentAt: number, phase: LeasePhase): HeldLease {
    const h = new HeldLease(lease, sentAt, phase)
    this.#ctx.held.add(h)
    this.#arm(h)
    return h
  }

  #arm(h: HeldLease): void {
    const { clock } = this.#ctx.options
    h.armDeadline(
      this.#F,
      clock.now(),
      (ms, signal) => clock.sleep(ms, signal),
      () => this.#expire(h),
    )
  }

  /**
   * A take or handoff write, conditional on the counter seen. When its response is lost (a timeout,
   * or an SDK retry answered ConditionalCheckFailed because the first attempt had applied), the
   * item is read again and adopted if it names this worker at exactly the counter this write
   * would have set (rule 1): otherwise the shard would stall until the lease expired.
   * Resolves to the lease as now held, or undefined when this worker did not get it.
   */
  async conditionalTake(
    seen: Lease,
    input: UpdateItemCommandInput,
    shapeMatches: (current: Lease) => boolean,
    what: 'take' | 'handoff',
  ): Promise<Lease | undefined> {
    const { store, logger, workerId, held } = this.#ctx
    let current: Lease | undefined
    try {
      const result = await store.update(input)
      if (result.applied) return result.lease
      current = result.current
    } catch (error) {
      logger.warn({ err: error, shardId: seen.leaseKey }, `${what} failed; reading the item`)
      try {
        current = await store.get(seen.leaseKey)
      } catch (readError) {
        logger.warn(
          { err: readError, shardId: seen.leaseKey },
          `could not read the item after a failed ${what}`,
        )
        return undefined
      }
    }
    if (
      current?.leaseOwner === workerId &&
      current.leaseCounter === seen.leaseCounter + 1 &&
      !held.has(seen.leaseKey) &&
      shapeMatches(current)
    ) {
      logger.info(
        { shardId: seen.leaseKey, counter: current.leaseCounter },
        `the ${what} applied though its response was lost: adopting the lease`,
      )
      return current
    }
    return undefined
  }

  /**
   * A fenced holder write through the lease's queue position the caller already holds. On a failed
   * condition re-reads the item: ours at another counter (an earlier attempt that applied) adopts
   * it and tries once more; a handoff to another worker or any other owner ends the lease here.
   * @throws LeaseLostError when the lease is no longer this worker's (or its deadline passed)
   */
  async write(
    h: HeldLease,
    build: (counter: number) => UpdateItemCommandInput,
  ): Promise<Lease | undefined> {
    const { options, store, workerId, logger } = this.#ctx
    for (let attempt = 0; attempt < 3; attempt++) {
      if (h.phase === 'gone') throw this.lostError(h)
      const sentAt = options.clock.now()
      if (sentAt >= h.deadline(this.#F)) {
        this.#expire(h)
        throw this.lostError(h)
      }
      const result = await store.update(build(h.counter))
      if (h.isGone()) throw this.lostError(h)
      if (result.applied) {
        h.counter = result.lease?.leaseCounter ?? h.counter + 1
        if (result.lease !== undefined) h.lease = result.lease
        h.lastSentAt = sentAt
        this.#arm(h)
        return result.lease
      }
      const current = result.current
      // Rule 1: ours at local + 1 means an earlier attempt applied and its response was lost.
      // Ours at any other counter is another process using this worker id: not ours to go on with.
      if (current?.leaseOwner === workerId && current.leaseCounter === h.counter + 1) {
        h.counter = current.leaseCounter
        h.lease = current
        continue
      }
      if (current?.leaseOwner === workerId) {
        logger.error(
          { shardId: h.shardId, expected: h.counter + 1, found: current.leaseCounter },
          'lease written by another process with this worker id: giving it up (worker ids must be unique)',
        )
        this.lose(h, 'taken', current.leaseOwner)
        throw this.lostError(h)
      }
      if (current?.leaseOwner !== undefined && current.checkpointOwner === workerId) {
        this.#onHandoffFound(h, current.leaseOwner)
      } else {
        this.lose(h, 'taken', current?.leaseOwner)
      }
      throw this.lostError(h)
    }
    this.lose(h, 'taken')
    throw this.lostError(h)
  }

  lostError(h: HeldLease): LeaseLostError {
    return new LeaseLostError(
      h.shardId,
      `lease ${h.shardId} is no longer held by ${this.#ctx.workerId}`,
    )
  }

  /** Rule 3: keeps the lease alive; skipped right after a checkpoint (which renews too). */
  renew(h: HeldLease): Promise<void> {
    const { options, workerId, logger } = this.#ctx
    return h.enqueue(async () => {
      if (h.phase === 'gone' || h.phase === 'handoff-out') return
      if (options.clock.now() - h.lastSentAt < this.#F / 6) return
      try {
        await this.write(h, (counter) =>
          renewLeaseInput(options.tableName, { leaseKey: h.shardId, owner: workerId, counter }),
        )
      } catch (error) {
        if (error instanceof LeaseLostError) return
        logger.warn({ err: error, shardId: h.shardId }, 'renewal failed; the next one may succeed')
      }
    })
  }

  /** Writes the wanted checkpoint, if it is ahead of the stored one. */
  flush(h: HeldLease): Promise<void> {
    return h.enqueue(async () => {
      const wanted = h.wanted
      if (wanted === undefined || !h.isAhead(wanted)) return
      if (h.phase === 'gone') throw this.lostError(h)
      // During a handoff the previous owner's one checkpoint write carries it.
      if (h.phase === 'handoff-out') return
      await this.checkpoint(h, wanted.sequenceNumber, wanted.subSequenceNumber)
    })
  }

  /** A fenced checkpoint write; the caller holds the lease's queue position. */
  async checkpoint(h: HeldLease, checkpoint: string, subSequenceNumber: number): Promise<void> {
    const { options: o, workerId, events } = this.#ctx
    const started = o.clock.now()
    await this.write(h, (counter) =>
      checkpointLeaseInput(o.tableName, {
        leaseKey: h.shardId,
        owner: workerId,
        counter,
        checkpoint,
        subSequenceNumber,
      }),
    )
    h.written = { checkpoint, subSequenceNumber }
    const dims = { StreamName: o.streamName, ShardId: h.shardId }
    o.metrics.record('Checkpoints', 1, 'Count', dims)
    o.metrics.record('CheckpointTime', o.clock.now() - started, 'Milliseconds', dims)
    events.emit('checkpoint', { shardId: h.shardId, checkpoint, subSequenceNumber })
  }

  /**
   * Rule 5: gives the lease up (fenced), so another worker takes it at its next scan. A handoff
   * found by this write is left for the caller to finish (its handoff checkpoint).
   */
  release(h: HeldLease): Promise<void> {
    const { options, workerId, logger, events } = this.#ctx
    return h.enqueue(async () => {
      if (h.phase === 'gone' || h.phase === 'handoff-out') return
      try {
        await this.write(h, (counter) =>
          releaseLeaseInput(options.tableName, { leaseKey: h.shardId, owner: workerId, counter }),
        )
        logger.info({ shardId: h.shardId }, 'lease released')
        events.emit('leaseReleased', { shardId: h.shardId })
      } catch (error) {
        if (!(error instanceof LeaseLostError))
          logger.warn(
            { err: error, shardId: h.shardId },
            'release failed; the lease will expire instead',
          )
      } finally {
        if (!h.isGone() && !h.isHandingOff()) this.drop(h, new AbortedError('lease released'))
      }
    })
  }

  /** Rule 2: the deadline passed without a successful write. */
  #expire(h: HeldLease): void {
    if (h.phase === 'gone') return
    if (h.phase === 'handoff-out') {
      this.lose(h, 'handed-off', h.otherOwner)
      return
    }
    this.#ctx.logger.warn(
      { shardId: h.shardId },
      'lease expired locally: no successful renewal within the lease duration',
    )
    this.lose(h, 'expired')
  }

  /** The lease is another's now (or expired): stop, count, and tell the app. */
  lose(h: HeldLease, reason: LeaseLostReason, newOwner?: string): void {
    if (h.phase === 'gone') return
    const { options, logger, events, workerDims } = this.#ctx
    this.drop(h, this.lostError(h))
    const info = { shardId: h.shardId, reason, ...(newOwner !== undefined ? { newOwner } : {}) }
    if (reason !== 'handed-off') options.metrics.record('LeasesLost', 1, 'Count', workerDims)
    logger.info(info, 'lease lost')
    events.emit('leaseLost', info)
    try {
      options.leaseLost?.(info)
    } catch (error) {
      logger.error({ err: error, shardId: h.shardId }, 'the leaseLost hook threw')
    }
  }

  /** Nothing more is written for `h`: its pipeline aborts with `reason` and it is forgotten. */
  drop(h: HeldLease, reason: Error): void {
    h.phase = 'gone'
    h.disarm()
    h.pipeline.abort(reason)
    this.#ctx.held.remove(h)
  }
}
