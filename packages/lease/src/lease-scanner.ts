// One scan of the lease table and what follows from it: the liveness of every lease is observed on
// the local clock (rule 1 of docs/lease-protocol.md), the plan says what to take and what to ask
// for by handoff (fair share, parents first), and each take is written fenced on the counter seen.

import { InvalidConfigError, type Lease } from '@kine/core'
import {
  initialSentinel,
  isLeaseFinished,
  isSentinel,
  takeLeaseInput,
  LeaseWatch,
  planLeases,
} from '@kine/core/lease-table'
import type { Handoff } from './handoff.js'
import type { HeldLease } from './held-lease.js'
import type { HolderWrites } from './holder-writes.js'
import type { WorkerContext } from './worker-context.js'

/** What the scanner needs from the worker running it. */
export interface ScannerHost {
  /** False once stop() has begun: a lease taken then is given straight back. */
  isRunning(): boolean
  /** Starts reading a lease just taken. */
  startPipeline(h: HeldLease): void
  /** Aborts when the worker stops. */
  readonly signal: AbortSignal
}

/** Scans the lease table and takes this worker's share. */
export class LeaseScanner {
  readonly #ctx: WorkerContext
  readonly #writes: HolderWrites
  readonly #handoff: Handoff
  readonly #host: ScannerHost
  readonly #watch = new LeaseWatch()
  /** Leases this worker gave up because they failed here, not to be taken back until then. */
  readonly #cooldown = new Map<string, number>()
  readonly #warned = new Set<string>()
  #emptySince: number | undefined
  #warnedEmptyAt: number | undefined

  constructor(ctx: WorkerContext, writes: HolderWrites, handoff: Handoff, host: ScannerHost) {
    this.#ctx = ctx
    this.#writes = writes
    this.#handoff = handoff
    this.#host = host
  }

  /** When the next lease seen held by another worker would expire, if one is watched. */
  nextExpiry(now: number): number | undefined {
    return this.#watch.nextExpiry(now, this.#ctx.options.leaseDurationMs, this.#ctx.workerId)
  }

  /** Keeps this worker from taking `shardId` back for one lease duration. */
  coolDown(shardId: string): void {
    const { clock, leaseDurationMs } = this.#ctx.options
    this.#cooldown.set(shardId, clock.now() + leaseDurationMs)
  }

  /** Scans the table and, while running, takes what the plan says. */
  async scan(): Promise<void> {
    const { options: o, store, held, logger, workerId, workerDims } = this.#ctx
    const scan = await store.scan(this.#host.signal)
    const now = o.clock.now()
    this.#watch.observe(scan.leases, now)
    for (const invalid of scan.invalid) {
      this.#warnOnce(`invalid:${invalid.leaseKey ?? '?'}`, () =>
        logger.warn(
          { err: invalid, leaseKey: invalid.leaseKey },
          'skipping a lease item that cannot be read',
        ),
      )
    }
    this.#noteEmpty(scan.leases.length + scan.invalid.length === 0, now)
    o.metrics.record('LeasesHeld', held.size, 'Count', workerDims)
    if (!this.#host.isRunning()) return
    const plan = planLeases({
      leases: scan.leases,
      held: held.shardIds(),
      me: workerId,
      now,
      watch: this.#watch,
      leaseDurationMs: o.leaseDurationMs,
      maxLeases: o.maxLeases,
      eligible: (lease) => this.#eligible(lease, now),
      random: o.random,
      unreadable: new Set(
        scan.invalid.flatMap((e) => (e.leaseKey === undefined ? [] : [e.leaseKey])),
      ),
    })
    for (const shardId of plan.blocked) {
      o.metrics.record('BlockedOnParent', 1, 'Count', {
        StreamName: o.streamName,
        ShardId: shardId,
      })
    }
    logger.debug(
      {
        held: held.size,
        target: plan.target,
        active: plan.active,
        workers: plan.workers,
        take: plan.take.length,
        handoff: plan.handoff.length,
      },
      'lease scan',
    )
    const scanned = new Set(scan.leases.map((l) => l.leaseKey))
    await Promise.all(
      plan.take.map(async (lease) => {
        if (await this.#parentsConfirmed(lease, scanned)) await this.#take(lease)
      }),
    )
    await Promise.all(
      plan.handoff.map(async (lease) => {
        if (await this.#parentsConfirmed(lease, scanned)) await this.#handoff.begin(lease)
      }),
    )
  }

  /**
   * A scan is not a snapshot: a parent missing from it may be an item Sync wrote after the scan
   * passed its slot. Before a child is taken, each parent the scan did not show is read again
   * (consistent GetItem); only one that is really gone, or at SHARD_END, counts as finished.
   */
  async #parentsConfirmed(lease: Lease, scanned: ReadonlySet<string>): Promise<boolean> {
    const { store, logger } = this.#ctx
    for (const parentId of lease.parentShardIds) {
      if (scanned.has(parentId)) continue
      let parent: Lease | undefined
      try {
        parent = await store.get(parentId)
      } catch (error) {
        // An item that exists but does not parse may still hold unread records; a failed read
        // proves nothing either way. Either way the child waits for a later scan.
        logger.warn(
          { err: error, shardId: lease.leaseKey, parentShardId: parentId },
          'could not confirm that a parent missing from the scan is finished; not taking the child yet',
        )
        return false
      }
      if (parent !== undefined && !isLeaseFinished(parent)) {
        logger.info(
          { shardId: lease.leaseKey, parentShardId: parentId, parentCheckpoint: parent.checkpoint },
          'a parent missing from the scan exists and is unfinished: not taking the child',
        )
        return false
      }
    }
    return true
  }

  async #take(seen: Lease): Promise<void> {
    const { options: o, workerId, logger, events, workerDims } = this.#ctx
    const sentAt = o.clock.now()
    const taken = await this.#writes.conditionalTake(
      seen,
      takeLeaseInput(o.tableName, {
        leaseKey: seen.leaseKey,
        owner: workerId,
        seenCounter: seen.leaseCounter,
        ...(seen.leaseOwner !== undefined ? { seenOwner: seen.leaseOwner } : {}),
      }),
      (current) => current.checkpointOwner === undefined,
      'take',
    )
    if (taken === undefined) return
    if (!this.#host.isRunning()) {
      // Stopped while the take was in flight: give it straight back.
      await this.#handoff.release(this.#writes.hold(taken, sentAt, 'stopping'))
      return
    }
    const h = this.#writes.hold(taken, sentAt, 'running')
    o.metrics.record('LeasesTaken', 1, 'Count', workerDims)
    logger.info(
      { shardId: h.shardId, from: seen.leaseOwner, checkpoint: h.lease.checkpoint },
      'lease taken',
    )
    events.emit('leaseTaken', { shardId: h.shardId, handoff: false })
    this.#warnOnMismatch(h.lease)
    this.#host.startPipeline(h)
  }

  #eligible(lease: Lease, now: number): boolean {
    const until = this.#cooldown.get(lease.leaseKey)
    if (until !== undefined) {
      if (now < until) return false
      this.#cooldown.delete(lease.leaseKey)
    }
    if (lease.checkpoint === 'AT_TIMESTAMP' && this.#ctx.timestamp === undefined) {
      this.#warnOnce(`at-timestamp:${lease.leaseKey}`, () => {
        const error = new InvalidConfigError('Consumer options', [
          `lease ${lease.leaseKey} starts AT_TIMESTAMP, but this Consumer has no initialPosition: { timestamp }; it will not take it`,
        ])
        this.#ctx.logger.error({ err: error, shardId: lease.leaseKey }, error.message)
        this.#ctx.events.emit('error', { error, shardId: lease.leaseKey })
      })
      return false
    }
    return true
  }

  #warnOnMismatch(lease: Lease): void {
    const initial = this.#ctx.options.initialPosition
    if (initial === undefined || lease.parentShardIds.length > 0 || !isSentinel(lease.checkpoint))
      return
    const configured = initialSentinel(initial)
    if (lease.checkpoint !== configured) {
      this.#ctx.logger.warn(
        { shardId: lease.leaseKey, lease: lease.checkpoint, configured },
        'the lease starts where its item says, not at the configured initialPosition (the table was synced with another one)',
      )
    }
  }

  /** Warns (naming Sync) when the table has held no lease for `noLeasesWarningMs`, then rarely. */
  #noteEmpty(empty: boolean, now: number): void {
    if (!empty) {
      this.#emptySince = undefined
      this.#warnedEmptyAt = undefined
      return
    }
    this.#emptySince ??= now
    const limit = this.#ctx.options.noLeasesWarningMs
    const since = now - this.#emptySince
    if (
      since >= limit &&
      (this.#warnedEmptyAt === undefined || now - this.#warnedEmptyAt >= limit * 5)
    ) {
      this.#warnedEmptyAt = now
      this.#ctx.logger.warn(
        { tableName: this.#ctx.options.tableName, sinceMs: Math.round(since) },
        'the lease table has no leases: is @kine/sync running for this stream and table? (new Sync({ streamName, tableName, kinesis, dynamodb, initialPosition }).start())',
      )
      this.#ctx.events.emit('noLeases', { sinceMs: since })
    }
  }

  #warnOnce(key: string, warn: () => void): void {
    if (this.#warned.has(key)) return
    this.#warned.add(key)
    warn()
  }
}
