// One lease this worker holds: the counter it holds it at, when its last successful write was sent
// (the deadline of rule 2 in docs/lease-protocol.md runs from there), its phase, its serialised
// write queue and the abort signals of its pipeline. State only; the Consumer and the pipeline act
// on it.

import { comparePositions, type Lease, type RecordPosition } from '@kine/core'
import { abortReason, isSequenceNumber } from '@kine/core/lease-table'

/**
 * - `handoff-in`: taken cooperatively; renewed, not read until the old owner's checkpoint lands.
 * - `running`: the pipeline reads and processes the shard.
 * - `handoff-out`: another worker took it cooperatively; finish the batch in flight, then one
 *   handoff checkpoint, before the deadline.
 * - `stopping`: stop() or a failure policy: finish the batch in flight, checkpoint, release.
 * - `gone`: no longer ours (lost, released, handed off): nothing more is written.
 */
export type LeasePhase = 'handoff-in' | 'running' | 'handoff-out' | 'stopping' | 'gone'

/** A stored checkpoint: sequence number or sentinel, with its sub-sequence number. */
interface StoredCheckpoint {
  readonly checkpoint: string
  readonly subSequenceNumber: number
}

/** The state of one held lease. */
export class HeldLease {
  readonly shardId: string
  /** The item as last seen (from the take, a renewal's ALL_NEW, or a re-read). */
  lease: Lease
  /** The `leaseCounter` this worker holds it at: every holder write is fenced on it. */
  counter: number
  /** Monotonic time the last successful renewal, take or checkpoint was sent. */
  lastSentAt: number
  phase: LeasePhase
  /** When a cooperative handoff to this worker was written. */
  handoffSince: number | undefined
  /** The previous owner of a handoff in either direction. */
  otherOwner: string | undefined
  /** Aborts the pipeline: the reader and the handler's `ctx.signal`. */
  readonly pipeline: AbortController = new AbortController()
  /** Stops fetching more batches, leaving the batch in flight to finish. */
  readonly reading: AbortController = new AbortController()
  #written: StoredCheckpoint
  #writtenWaiters: (() => void)[] = []
  /** The furthest position the app or the batch loop asked to checkpoint. */
  wanted: RecordPosition | undefined
  /** The last record handed to the handler. */
  delivered: RecordPosition | undefined
  /**
   * Set once the shard's end hook has run and its children's leases exist: only `SHARD_END` is
   * left to write, so a handoff checkpoint written from here on is `SHARD_END` too.
   */
  endReady = false
  /** The pipeline's promise, once started. */
  running: Promise<void> | undefined
  #queue: Promise<unknown> = Promise.resolve()
  #deadlineTimer: AbortController | undefined

  constructor(lease: Lease, sentAt: number, phase: LeasePhase) {
    this.shardId = lease.leaseKey
    this.lease = lease
    this.counter = lease.leaseCounter
    this.lastSentAt = sentAt
    this.phase = phase
    this.handoffSince = undefined
    this.otherOwner = undefined
    this.#written = {
      checkpoint: lease.checkpoint,
      subSequenceNumber: lease.checkpointSubSequenceNumber,
    }
    this.wanted = undefined
    this.delivered = undefined
    this.running = undefined
  }

  /** What the shard's stored checkpoint is. */
  get written(): StoredCheckpoint {
    return this.#written
  }

  set written(checkpoint: StoredCheckpoint) {
    this.#written = checkpoint
    const waiters = this.#writtenWaiters
    this.#writtenWaiters = []
    for (const wake of waiters) wake()
  }

  /** Resolves at the next change of {@link written}, or rejects with the reason once `signal` aborts. */
  writtenChange(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(abortReason(signal))
        return
      }
      const onAbort = (): void => reject(abortReason(signal))
      signal.addEventListener('abort', onAbort, { once: true })
      this.#writtenWaiters.push(() => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      })
    })
  }

  /** Runs `write` after every write queued before it: one write in flight per lease. */
  enqueue<T>(write: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(write, write)
    this.#queue = next.catch(() => {})
    return next
  }

  /** True once the lease is no longer this worker's (a method, so checks after an await are not narrowed away). */
  isGone(): boolean {
    return this.phase === 'gone'
  }

  /** True while a cooperative handoff to another worker is being finished (a method, so it is not narrowed away). */
  isHandingOff(): boolean {
    return this.phase === 'handoff-out'
  }

  /** Rule 2 of docs/lease-protocol.md: the moment this worker must stop acting on the lease. */
  deadline(durationMs: number): number {
    return this.lastSentAt + durationMs
  }

  /** Replaces the deadline timer (after a successful write); `onExpire` runs if it falls due. */
  armDeadline(
    durationMs: number,
    now: number,
    sleep: (ms: number, signal: AbortSignal) => Promise<void>,
    onExpire: () => void,
  ): void {
    this.#deadlineTimer?.abort()
    const timer = new AbortController()
    this.#deadlineTimer = timer
    sleep(this.deadline(durationMs) - now, timer.signal).then(
      () => {
        if (this.#deadlineTimer === timer) onExpire()
      },
      () => {},
    )
  }

  /** Stops the deadline timer (the lease is no longer ours). */
  disarm(): void {
    this.#deadlineTimer?.abort()
    this.#deadlineTimer = undefined
  }

  /** True when `position` is after the stored checkpoint (a checkpoint never moves backwards). */
  isAhead(position: RecordPosition): boolean {
    if (!isSequenceNumber(this.written.checkpoint)) return this.written.checkpoint !== 'SHARD_END'
    return (
      comparePositions(position, {
        sequenceNumber: this.written.checkpoint,
        subSequenceNumber: this.written.subSequenceNumber,
      }) > 0
    )
  }
}
