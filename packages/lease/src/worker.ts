// The engine behind Consumer: scans, takes, renews, hands off and releases leases exactly as the
// lease protocol in docs/lease-protocol.md says ("rule N" below is its rule N), and runs one
// pipeline per held shard. Every holder write goes through the lease's queue (one in flight), is
// fenced on its counter, and is refused locally once the rule-2 deadline has passed.

import type { UpdateItemCommandInput } from '@aws-sdk/client-dynamodb'
import {
  AbortedError,
  InvalidLeaseItemError,
  KineError,
  LeaseLostError,
  describeStreamSummary,
  ensureLeaseTable,
  type ChildShard,
  type Lease,
  type Logger,
  type MetricDimensions,
} from '@kine/core'
import {
  LeaseWatch,
  planLeases,
  abortReason,
  backoffDelay,
  checkpointLeaseInput,
  clearCheckpointOwnerInput,
  createLeaseInput,
  handoffCheckpointInput,
  isLeaseFinished,
  isSentinel,
  linkChildrenInput,
  releaseLeaseInput,
  renewLeaseInput,
  takeLeaseInput,
  beginHandoffInput,
  toKineError,
} from '@kine/core/lease-table'
import type { LeaseLostReason } from './context.js'
import { ConsumerEmitter } from './events.js'
import { HeldLease, type LeasePhase } from './held-lease.js'
import { LeaseStore } from './lease-store.js'
import type { HandlerFailurePolicy, ResolvedOptions } from './options.js'
import { runPipeline } from './shard-pipeline.js'

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped'

/** The worker's machinery; {@link Consumer} is its public face. */
export class Worker {
  readonly options: ResolvedOptions
  readonly logger: Logger
  readonly workerId: string
  readonly timestamp: Date | undefined
  readonly events: ConsumerEmitter
  readonly #store: LeaseStore
  readonly #held = new Map<string, HeldLease>()
  readonly #watch = new LeaseWatch()
  readonly #cooldown = new Map<string, number>()
  readonly #warned = new Set<string>()
  readonly #loops = new AbortController()
  readonly #renewals = new AbortController()
  readonly #workerDims: MetricDimensions
  #wake = new AbortController()
  #state: State = 'new'
  #keepAlive: ReturnType<typeof setInterval> | undefined
  #emptySince: number | undefined
  #warnedEmptyAt: number | undefined
  #stopPromise: Promise<void> | undefined
  #allGone: (() => void) | undefined
  /** The scan in progress (its takes included), which stop() waits for. */
  #scanning: Promise<void> = Promise.resolve()

  constructor(options: ResolvedOptions) {
    this.options = options
    this.workerId = options.workerId
    this.logger = options.logger.child({
      workerId: options.workerId,
      streamName: options.streamName,
    })
    const initial = options.initialPosition
    this.timestamp = typeof initial === 'object' ? initial.timestamp : undefined
    this.events = new ConsumerEmitter(this.logger)
    this.#store = new LeaseStore(
      options.dynamodb,
      options.tableName,
      options.clock,
      Math.max(500, Math.round(options.leaseDurationMs / 3)),
      Math.max(5_000, options.leaseDurationMs),
      { logger: this.logger, metrics: options.metrics, streamName: options.streamName },
    )
    this.#workerDims = { StreamName: options.streamName, WorkerId: options.workerId }
  }

  get #F(): number {
    return this.options.leaseDurationMs
  }

  /** Shard ids of the leases held now, by phase. */
  held(): { shardId: string; phase: LeasePhase }[] {
    return [...this.#held.values()].map((h) => ({ shardId: h.shardId, phase: h.phase }))
  }

  // ---- lifecycle ----

  /** See {@link Consumer.start}. */
  async start(): Promise<void> {
    if (this.#state !== 'new')
      throw new KineError('INVALID_CONFIG', 'a Consumer can be started only once')
    this.#state = 'starting'
    const { signal, clock } = this.options
    if (signal?.aborted) {
      this.#state = 'stopped'
      throw abortReason(signal)
    }
    signal?.addEventListener('abort', this.#onAbort, { once: true })
    try {
      await this.#checkStream()
      await ensureLeaseTable(this.options.dynamodb, this.options.tableName, {
        clock,
        logger: this.logger,
        signal: this.#loops.signal,
      })
      if (this.#state !== 'starting') throw new AbortedError('stopped while starting')
      this.#state = 'running'
      for (let attempt = 0; ; attempt++) {
        try {
          await this.#scan()
          break
        } catch (error) {
          if (this.#loops.signal.aborted) throw abortReason(this.#loops.signal)
          const kineError = toKineError(
            error,
            `lease table "${this.options.tableName}"`,
            'TABLE_NOT_FOUND',
          )
          if (!kineError.retryable) throw kineError
          this.logger.warn({ err: error, attempt }, 'first lease scan failed; retrying')
          await clock.sleep(
            backoffDelay(attempt, { baseMs: 200, capMs: 5_000 }),
            this.#loops.signal,
          )
        }
      }
      if (this.#loops.signal.aborted) throw abortReason(this.#loops.signal)
    } catch (error) {
      await this.stop()
      throw error
    }
    // While running, something must keep the process alive: every timer kine sleeps on is unref'd.
    this.#keepAlive = setInterval(() => {}, 1 << 30)
    void this.#renewLoop()
    void this.#scanLoop()
    this.logger.info({ held: this.#held.size }, 'consumer started')
  }

  readonly #onAbort = (): void => void this.stop()

  /**
   * The stream must exist and be readable: what retrying cannot fix makes start() reject; throttles,
   * transient errors and answers without a summary are asked again until stop().
   */
  async #checkStream(): Promise<void> {
    const { kinesis, streamName, clock, metrics } = this.options
    await describeStreamSummary(kinesis, {
      streamName,
      maxAttempts: Infinity,
      signal: this.#loops.signal,
      clock,
      logger: this.logger,
      metrics,
    })
  }

  /** See {@link Consumer.stop}. */
  stop(): Promise<void> {
    this.#stopPromise ??= this.#stop()
    return this.#stopPromise
  }

  async #stop(): Promise<void> {
    if (this.#state === 'new') {
      this.#state = 'stopped'
      return
    }
    this.#state = 'stopping'
    this.options.signal?.removeEventListener('abort', this.#onAbort)
    this.#loops.abort(new AbortedError('consumer stopped'))
    const { clock } = this.options
    // A take in flight when stop() was called gives its lease straight back; wait for it.
    await this.#scanning
    const allGone = new Promise<void>((resolve) => {
      this.#allGone = resolve
    })
    const pipelines: Promise<void>[] = []
    for (const h of [...this.#held.values()]) {
      if (h.phase === 'handoff-in') this.#abandonHandoff(h)
      else if (h.phase === 'running') {
        h.phase = 'stopping'
        h.reading.abort(new AbortedError('consumer stopping'))
      }
      if (h.running) pipelines.push(h.running)
    }
    this.#checkAllGone()
    const timeout = new AbortController()
    const timedOut = clock.sleep(this.options.stopTimeoutMs, timeout.signal).then(
      () => true,
      () => false,
    )
    if (await Promise.race([Promise.all(pipelines).then(() => false), timedOut])) {
      this.logger.warn(
        { timeoutMs: this.options.stopTimeoutMs },
        'stop timeout: abandoning in-flight handlers',
      )
      for (const h of this.#held.values()) h.pipeline.abort(new AbortedError('stop timeout'))
    }
    timeout.abort()
    await allGone
    this.#renewals.abort()
    if (this.#keepAlive !== undefined) clearInterval(this.#keepAlive)
    this.#state = 'stopped'
    this.logger.info('consumer stopped')
  }

  #checkAllGone(): void {
    if (this.#held.size === 0) this.#allGone?.()
  }

  // ---- loops ----

  async #renewLoop(): Promise<void> {
    const every = this.#F / 3
    const signal = this.#renewals.signal
    for (;;) {
      try {
        await this.options.clock.sleep(every, signal)
      } catch {
        return
      }
      for (const h of this.#held.values()) void this.#renew(h)
    }
  }

  async #scanLoop(): Promise<void> {
    const { clock, random, scanIntervalMs } = this.options
    for (;;) {
      const now = clock.now()
      let delay = scanIntervalMs * (0.9 + 0.2 * random())
      const expiry = this.#watch.nextExpiry(now, this.#F, this.workerId)
      if (expiry !== undefined) delay = Math.min(delay, Math.max(10, expiry - now))
      this.#wake = new AbortController()
      try {
        await clock.sleep(delay, AbortSignal.any([this.#loops.signal, this.#wake.signal]))
      } catch {
        if (this.#loops.signal.aborted) return
      }
      try {
        await this.#scan()
      } catch (error) {
        if (this.#loops.signal.aborted) return
        this.logger.warn({ err: error }, 'lease scan failed; retrying at the next one')
      }
    }
  }

  /** Makes the next scan happen now (after a shard end or a release frees work). */
  scanSoon(): void {
    this.#wake.abort()
  }

  #scan(): Promise<void> {
    const scan = this.#scanOnce()
    this.#scanning = scan.catch(() => {})
    return scan
  }

  async #scanOnce(): Promise<void> {
    const o = this.options
    const scan = await this.#store.scan(this.#loops.signal)
    const now = o.clock.now()
    this.#watch.observe(scan.leases, now)
    for (const invalid of scan.invalid) {
      const key = `invalid:${invalid.leaseKey ?? '?'}`
      if (this.#warned.has(key)) continue
      this.#warned.add(key)
      this.logger.warn(
        { err: invalid, leaseKey: invalid.leaseKey },
        'skipping a lease item that cannot be read',
      )
    }
    this.#noteEmpty(scan.leases.length + scan.invalid.length === 0, now)
    o.metrics.record('LeasesHeld', this.#held.size, 'Count', this.#workerDims)
    if (this.#state !== 'running') return
    const plan = planLeases({
      leases: scan.leases,
      held: new Set(this.#held.keys()),
      me: this.workerId,
      now,
      watch: this.#watch,
      leaseDurationMs: this.#F,
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
    this.logger.debug(
      {
        held: this.#held.size,
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
        if (await this.#parentsConfirmed(lease, scanned)) await this.#beginHandoff(lease)
      }),
    )
  }

  /**
   * A scan is not a snapshot: a parent missing from it may be an item Sync wrote after the scan
   * passed its slot. Before a child is taken, each parent the scan did not show is read again
   * (consistent GetItem); only one that is really gone, or at SHARD_END, counts as finished.
   */
  async #parentsConfirmed(lease: Lease, scanned: ReadonlySet<string>): Promise<boolean> {
    for (const parentId of lease.parentShardIds) {
      if (scanned.has(parentId)) continue
      let parent: Lease | undefined
      try {
        parent = await this.#store.get(parentId)
      } catch (error) {
        // An item that exists but does not parse may still hold unread records; a failed read
        // proves nothing either way. Either way the child waits for a later scan.
        this.logger.warn(
          { err: error, shardId: lease.leaseKey, parentShardId: parentId },
          'could not confirm that a parent missing from the scan is finished; not taking the child yet',
        )
        return false
      }
      if (parent !== undefined && !isLeaseFinished(parent)) {
        this.logger.info(
          { shardId: lease.leaseKey, parentShardId: parentId, parentCheckpoint: parent.checkpoint },
          'a parent missing from the scan exists and is unfinished: not taking the child',
        )
        return false
      }
    }
    return true
  }

  #noteEmpty(empty: boolean, now: number): void {
    if (!empty) {
      this.#emptySince = undefined
      this.#warnedEmptyAt = undefined
      return
    }
    this.#emptySince ??= now
    const limit = this.options.noLeasesWarningMs
    const since = now - this.#emptySince
    if (
      since >= limit &&
      (this.#warnedEmptyAt === undefined || now - this.#warnedEmptyAt >= limit * 5)
    ) {
      this.#warnedEmptyAt = now
      this.logger.warn(
        { tableName: this.options.tableName, sinceMs: Math.round(since) },
        'the lease table has no leases: is @kine/sync running for this stream and table? (new Sync({ streamName, tableName, kinesis, dynamodb, initialPosition }).start())',
      )
      this.events.emit('noLeases', { sinceMs: since })
    }
  }

  #eligible(lease: Lease, now: number): boolean {
    const until = this.#cooldown.get(lease.leaseKey)
    if (until !== undefined) {
      if (now < until) return false
      this.#cooldown.delete(lease.leaseKey)
    }
    if (lease.checkpoint === 'AT_TIMESTAMP' && this.timestamp === undefined) {
      const key = `at-timestamp:${lease.leaseKey}`
      if (!this.#warned.has(key)) {
        this.#warned.add(key)
        const error = new KineError(
          'INVALID_CONFIG',
          `lease ${lease.leaseKey} starts AT_TIMESTAMP, but this Consumer has no initialPosition: { timestamp }; it will not take it`,
        )
        this.logger.error({ err: error, shardId: lease.leaseKey }, error.message)
        this.events.emit('error', { error, shardId: lease.leaseKey })
      }
      return false
    }
    return true
  }

  // ---- taking ----

  async #take(seen: Lease): Promise<void> {
    const o = this.options
    const sentAt = o.clock.now()
    const taken = await this.#conditionalTake(
      seen,
      takeLeaseInput(o.tableName, {
        leaseKey: seen.leaseKey,
        owner: this.workerId,
        seenCounter: seen.leaseCounter,
        ...(seen.leaseOwner !== undefined ? { seenOwner: seen.leaseOwner } : {}),
      }),
      (current) => current.checkpointOwner === undefined,
      'take',
    )
    if (taken === undefined) return
    if (this.#state !== 'running') {
      // Stopped while the take was in flight: give it straight back.
      const h = this.#hold(taken, sentAt, 'stopping')
      await this.#release(h)
      if (h.isHandingOff()) await this.#finishHandoff(h)
      return
    }
    const h = this.#hold(taken, sentAt, 'running')
    o.metrics.record('LeasesTaken', 1, 'Count', this.#workerDims)
    this.logger.info(
      { shardId: h.shardId, from: seen.leaseOwner, checkpoint: h.lease.checkpoint },
      'lease taken',
    )
    this.events.emit('leaseTaken', { shardId: h.shardId, handoff: false })
    this.#warnOnMismatch(h.lease)
    this.#startPipeline(h)
  }

  async #beginHandoff(seen: Lease): Promise<void> {
    const o = this.options
    const previousOwner = seen.leaseOwner
    if (previousOwner === undefined) return
    const sentAt = o.clock.now()
    const taken = await this.#conditionalTake(
      seen,
      beginHandoffInput(o.tableName, {
        leaseKey: seen.leaseKey,
        newOwner: this.workerId,
        previousOwner,
        seenCounter: seen.leaseCounter,
      }),
      // The previous owner may already have written its handoff checkpoint and cleared the mark.
      (current) =>
        current.checkpointOwner === previousOwner || current.checkpointOwner === undefined,
      'handoff',
    )
    if (taken === undefined) return
    const h = this.#hold(taken, sentAt, 'handoff-in')
    h.handoffSince = sentAt
    h.otherOwner = previousOwner
    if (this.#state !== 'running') {
      this.#abandonHandoff(h)
      return
    }
    o.metrics.record('LeasesTaken', 1, 'Count', this.#workerDims)
    this.logger.info({ shardId: h.shardId, from: previousOwner }, 'lease handoff begun')
    this.events.emit('leaseTaken', { shardId: h.shardId, handoff: true })
    void this.#pollHandoff(h)
  }

  /**
   * A take or handoff write, conditional on the counter seen. When its response is lost (a timeout,
   * or an SDK retry answered ConditionalCheckFailed because the first attempt had applied), the
   * item is read again and adopted if it names this worker at exactly the counter this write
   * would have set (rule 1): otherwise the shard would stall until the lease expired.
   * Resolves to the lease as now held, or undefined when this worker did not get it.
   */
  async #conditionalTake(
    seen: Lease,
    input: UpdateItemCommandInput,
    shapeMatches: (current: Lease) => boolean,
    what: 'take' | 'handoff',
  ): Promise<Lease | undefined> {
    let current: Lease | undefined
    try {
      const result = await this.#store.update(input)
      if (result.applied) return result.lease
      current = result.current
    } catch (error) {
      this.logger.warn({ err: error, shardId: seen.leaseKey }, `${what} failed; reading the item`)
      try {
        current = await this.#store.get(seen.leaseKey)
      } catch (readError) {
        this.logger.warn(
          { err: readError, shardId: seen.leaseKey },
          `could not read the item after a failed ${what}`,
        )
        return undefined
      }
    }
    if (
      current?.leaseOwner === this.workerId &&
      current.leaseCounter === seen.leaseCounter + 1 &&
      !this.#held.has(seen.leaseKey) &&
      shapeMatches(current)
    ) {
      this.logger.info(
        { shardId: seen.leaseKey, counter: current.leaseCounter },
        `the ${what} applied though its response was lost: adopting the lease`,
      )
      return current
    }
    return undefined
  }

  #hold(lease: Lease, sentAt: number, phase: HeldLease['phase']): HeldLease {
    const h = new HeldLease(lease, sentAt, phase)
    this.#held.set(h.shardId, h)
    this.#arm(h)
    return h
  }

  #arm(h: HeldLease): void {
    const { clock } = this.options
    h.armDeadline(
      this.#F,
      clock.now(),
      (ms, signal) => clock.sleep(ms, signal),
      () => this.#expire(h),
    )
  }

  #warnOnMismatch(lease: Lease): void {
    const initial = this.options.initialPosition
    if (initial === undefined || lease.parentShardIds.length > 0 || !isSentinel(lease.checkpoint))
      return
    const configured = typeof initial === 'object' ? 'AT_TIMESTAMP' : initial
    if (lease.checkpoint !== configured) {
      this.logger.warn(
        { shardId: lease.leaseKey, lease: lease.checkpoint, configured },
        'the lease starts where its item says, not at the configured initialPosition (the table was synced with another one)',
      )
    }
  }

  /** Handoff to this worker: start reading once the old owner's checkpoint landed, or after the timeout. */
  async #pollHandoff(h: HeldLease): Promise<void> {
    const { clock } = this.options
    const every = Math.max(25, Math.min(this.#F / 10, 1_000))
    while (h.phase === 'handoff-in') {
      try {
        await clock.sleep(every, this.#loops.signal)
      } catch {
        return
      }
      if (h.phase !== 'handoff-in') return
      try {
        if (clock.now() - (h.handoffSince ?? 0) >= this.options.handoffTimeoutMs) {
          await h.enqueue(async () => {
            if (h.phase !== 'handoff-in') return
            const lease = await this.#holderWrite(h, (counter) =>
              clearCheckpointOwnerInput(this.options.tableName, {
                leaseKey: h.shardId,
                owner: this.workerId,
                counter,
              }),
            )
            this.logger.info(
              { shardId: h.shardId, previousOwner: h.otherOwner },
              'handoff timed out; reading from the stored checkpoint',
            )
            this.#beginReading(h, lease ?? h.lease)
          })
          return
        }
        const current = await this.#store.get(h.shardId)
        if (h.phase !== 'handoff-in') return
        if (current?.leaseOwner === this.workerId && current.checkpointOwner === undefined) {
          this.#beginReading(h, current)
          return
        }
      } catch (error) {
        if (error instanceof LeaseLostError || h.phase !== 'handoff-in') return
        this.logger.warn({ err: error, shardId: h.shardId }, 'handoff poll failed')
      }
    }
  }

  #beginReading(h: HeldLease, lease: Lease): void {
    if (h.phase !== 'handoff-in' || this.#state !== 'running') return
    h.lease = lease
    h.written = {
      checkpoint: lease.checkpoint,
      subSequenceNumber: lease.checkpointSubSequenceNumber,
    }
    h.phase = 'running'
    if (isLeaseFinished(lease)) {
      // The previous owner finished the shard during the handoff: nothing to read, give it up.
      this.logger.info({ shardId: h.shardId }, 'handoff complete at SHARD_END: releasing')
      void this.#release(h).then(() => this.scanSoon())
      return
    }
    this.logger.info({ shardId: h.shardId, checkpoint: lease.checkpoint }, 'handoff complete')
    this.#startPipeline(h)
  }

  #startPipeline(h: HeldLease): void {
    h.running = runPipeline(this, h).catch((error: unknown) => {
      this.reportError(error, h.shardId)
    })
  }

  // ---- writes ----

  /**
   * A fenced holder write through the lease's queue position the caller already holds. On a failed
   * condition re-reads the item: ours at another counter (an earlier attempt that applied) adopts
   * it and tries once more; a handoff to another worker or any other owner ends the lease here.
   * @throws LeaseLostError when the lease is no longer this worker's (or its deadline passed)
   */
  async #holderWrite(
    h: HeldLease,
    build: (counter: number) => UpdateItemCommandInput,
  ): Promise<Lease | undefined> {
    const { clock } = this.options
    for (let attempt = 0; attempt < 3; attempt++) {
      if (h.phase === 'gone') throw this.#lostError(h)
      const sentAt = clock.now()
      if (sentAt >= h.deadline(this.#F)) {
        this.#expire(h)
        throw this.#lostError(h)
      }
      const result = await this.#store.update(build(h.counter))
      if (h.isGone()) throw this.#lostError(h)
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
      if (current?.leaseOwner === this.workerId && current.leaseCounter === h.counter + 1) {
        h.counter = current.leaseCounter
        h.lease = current
        continue
      }
      if (current?.leaseOwner === this.workerId) {
        this.logger.error(
          { shardId: h.shardId, expected: h.counter + 1, found: current.leaseCounter },
          'lease written by another process with this worker id: giving it up (worker ids must be unique)',
        )
        this.#lose(h, 'taken', current.leaseOwner)
        throw this.#lostError(h)
      }
      if (current?.leaseOwner !== undefined && current.checkpointOwner === this.workerId) {
        this.#handoffDetected(h, current.leaseOwner)
      } else {
        this.#lose(h, 'taken', current?.leaseOwner)
      }
      throw this.#lostError(h)
    }
    this.#lose(h, 'taken')
    throw this.#lostError(h)
  }

  #lostError(h: HeldLease): LeaseLostError {
    return new LeaseLostError(h.shardId, `lease ${h.shardId} is no longer held by ${this.workerId}`)
  }

  #renew(h: HeldLease): Promise<void> {
    return h.enqueue(async () => {
      if (h.phase === 'gone' || h.phase === 'handoff-out') return
      // A checkpoint renews too: skip a renewal right after one.
      if (this.options.clock.now() - h.lastSentAt < this.#F / 6) return
      try {
        await this.#holderWrite(h, (counter) =>
          renewLeaseInput(this.options.tableName, {
            leaseKey: h.shardId,
            owner: this.workerId,
            counter,
          }),
        )
      } catch (error) {
        if (error instanceof LeaseLostError) return
        this.logger.warn(
          { err: error, shardId: h.shardId },
          'renewal failed; the next one may succeed',
        )
      }
    })
  }

  /** Writes the wanted checkpoint, if it is ahead of the stored one. */
  flush(h: HeldLease): Promise<void> {
    return h.enqueue(async () => {
      const wanted = h.wanted
      if (wanted === undefined || !h.isAhead(wanted)) return
      if (h.phase === 'gone') throw this.#lostError(h)
      // During a handoff the previous owner's one checkpoint write carries it.
      if (h.phase === 'handoff-out') return
      await this.#checkpoint(h, wanted.sequenceNumber, wanted.subSequenceNumber)
    })
  }

  async #checkpoint(h: HeldLease, checkpoint: string, subSequenceNumber: number): Promise<void> {
    const o = this.options
    const started = o.clock.now()
    await this.#holderWrite(h, (counter) =>
      checkpointLeaseInput(o.tableName, {
        leaseKey: h.shardId,
        owner: this.workerId,
        counter,
        checkpoint,
        subSequenceNumber,
      }),
    )
    h.written = { checkpoint, subSequenceNumber }
    const dims = { StreamName: o.streamName, ShardId: h.shardId }
    o.metrics.record('Checkpoints', 1, 'Count', dims)
    o.metrics.record('CheckpointTime', o.clock.now() - started, 'Milliseconds', dims)
    this.events.emit('checkpoint', { shardId: h.shardId, checkpoint, subSequenceNumber })
  }

  /**
   * Rule 8 of docs/lease-protocol.md: the children's leases (and the parent's link to them), before
   * SHARD_END.
   */
  async createChildren(h: HeldLease, children: readonly ChildShard[]): Promise<void> {
    const o = this.options
    for (const child of children) {
      // A merge child is created here only once its other parents have leases. A parent without
      // one may be a lease Sync has yet to write (a pass cut short): a child leased now would be
      // read before that parent, and Sync would then never create the parent (it has a leased
      // descendant, rule 11), skipping its records. Sync creates such a child itself, after them.
      const missing: string[] = []
      for (const parent of child.parentShardIds) {
        if (parent === h.shardId) continue
        const present = await this.#retrying(h, 'read parent lease', () =>
          this.#store.get(parent).then(
            (lease) => lease !== undefined,
            (error: unknown) => {
              // An item that does not parse still exists.
              if (error instanceof InvalidLeaseItemError) return true
              throw error
            },
          ),
        )
        if (!present) missing.push(parent)
      }
      if (missing.length > 0) {
        this.logger.info(
          { shardId: h.shardId, child: child.shardId, missingParents: missing },
          'leaving the child lease to Sync: another parent has no lease yet',
        )
        continue
      }
      const lease: Lease = {
        leaseKey: child.shardId,
        leaseCounter: 0,
        checkpoint: 'TRIM_HORIZON',
        checkpointSubSequenceNumber: 0,
        ownerSwitchesSinceCheckpoint: 0,
        parentShardIds: child.parentShardIds,
        childShardIds: [],
        ...(child.hashKeyRange !== undefined
          ? {
              startingHashKey: child.hashKeyRange.startingHashKey,
              endingHashKey: child.hashKeyRange.endingHashKey,
            }
          : {}),
      }
      const created = await this.#retrying(h, 'create child lease', () =>
        this.#store.create(createLeaseInput(o.tableName, lease)),
      )
      this.logger.debug({ shardId: h.shardId, child: child.shardId, created }, 'child lease')
    }
    if (children.length > 0) {
      await this.#retrying(h, 'link children', () =>
        this.#store.updateIgnoringCondition(
          linkChildrenInput(o.tableName, {
            leaseKey: h.shardId,
            childShardIds: children.map((c) => c.shardId),
          }),
        ),
      )
    }
  }

  /** Rule 8 of docs/lease-protocol.md: SHARD_END, fenced, after the children exist. */
  async checkpointShardEnd(h: HeldLease): Promise<void> {
    await this.#retrying(h, 'checkpoint SHARD_END', () =>
      h.enqueue(() => this.#checkpoint(h, 'SHARD_END', 0)),
    )
    this.scanSoon()
  }

  async #retrying<T>(h: HeldLease, what: string, call: () => Promise<T>): Promise<T> {
    const { clock } = this.options
    for (let attempt = 0; ; attempt++) {
      h.pipeline.signal.throwIfAborted()
      try {
        return await call()
      } catch (error) {
        if (error instanceof LeaseLostError || h.phase === 'gone') throw error
        if (attempt >= 5) throw error
        this.logger.warn({ err: error, shardId: h.shardId, attempt }, `${what} failed; retrying`)
        await clock.sleep(backoffDelay(attempt, { baseMs: 100, capMs: 2_000 }), h.pipeline.signal)
      }
    }
  }

  // ---- losing, handing off, releasing ----

  #handoffDetected(h: HeldLease, newOwner: string): void {
    // Found again by a write of the batch being finished: the handoff checkpoint is still due.
    if (h.phase === 'handoff-out') return
    if (h.phase !== 'running' && h.phase !== 'stopping') {
      this.#lose(h, 'taken', newOwner)
      return
    }
    h.phase = 'handoff-out'
    h.otherOwner = newOwner
    h.reading.abort(new AbortedError('lease handed off'))
    this.options.metrics.record('LeasesHandedOff', 1, 'Count', this.#workerDims)
    this.logger.info(
      { shardId: h.shardId, newOwner },
      'lease is being handed off; finishing the batch in flight',
    )
    if (h.running === undefined) void this.#finishHandoff(h)
  }

  /** Rule 4, the previous owner's side: one checkpoint write that also ends the handoff. */
  #finishHandoff(h: HeldLease): Promise<void> {
    return h.enqueue(async () => {
      if (h.phase !== 'handoff-out' || h.otherOwner === undefined) return
      const o = this.options
      try {
        // Even after an abandoned batch (stop timeout, slow handler) this is safe: `wanted` holds
        // only what completed before the abort, and the write frees the new owner at once.
        if (o.clock.now() < h.deadline(this.#F)) {
          // At a shard's end whose hook and child leases are done, the new owner has nothing
          // left to read: hand over SHARD_END rather than make it read the last batch and run the
          // end hook again.
          const at = h.endReady
            ? { checkpoint: 'SHARD_END', subSequenceNumber: 0 }
            : h.wanted !== undefined && h.isAhead(h.wanted)
              ? {
                  checkpoint: h.wanted.sequenceNumber,
                  subSequenceNumber: h.wanted.subSequenceNumber,
                }
              : h.written
          const result = await this.#store.update(
            handoffCheckpointInput(o.tableName, {
              leaseKey: h.shardId,
              previousOwner: this.workerId,
              newOwner: h.otherOwner,
              checkpoint: at.checkpoint,
              subSequenceNumber: at.subSequenceNumber,
            }),
          )
          this.logger.info(
            { shardId: h.shardId, applied: result.applied, checkpoint: at.checkpoint },
            'handoff checkpoint',
          )
          if (result.applied) {
            h.written = at
            this.events.emit('checkpoint', { shardId: h.shardId, ...at })
          }
        }
      } catch (error) {
        this.logger.warn(
          { err: error, shardId: h.shardId },
          'handoff checkpoint failed; the new owner takes over after its timeout',
        )
      } finally {
        this.#lose(h, 'handed-off', h.otherOwner)
      }
    })
  }

  /** Rule 2: the deadline passed without a successful write. */
  #expire(h: HeldLease): void {
    if (h.phase === 'gone') return
    if (h.phase === 'handoff-out') {
      this.#lose(h, 'handed-off', h.otherOwner)
      return
    }
    this.logger.warn(
      { shardId: h.shardId },
      'lease expired locally: no successful renewal within the lease duration',
    )
    this.#lose(h, 'expired')
  }

  #lose(h: HeldLease, reason: LeaseLostReason, newOwner?: string): void {
    if (h.phase === 'gone') return
    h.phase = 'gone'
    h.disarm()
    h.pipeline.abort(this.#lostError(h))
    this.#held.delete(h.shardId)
    const info = { shardId: h.shardId, reason, ...(newOwner !== undefined ? { newOwner } : {}) }
    if (reason !== 'handed-off')
      this.options.metrics.record('LeasesLost', 1, 'Count', this.#workerDims)
    this.logger.info(info, 'lease lost')
    this.events.emit('leaseLost', info)
    try {
      this.options.leaseLost?.(info)
    } catch (error) {
      this.logger.error({ err: error, shardId: h.shardId }, 'the leaseLost hook threw')
    }
    this.#checkAllGone()
  }

  /**
   * Stopping while a handoff to this worker is still under way: the lease is left to expire, not
   * released. The previous owner may still be reading until its rule-2 deadline; a release would
   * let a third worker take the free lease at once and read beside it. Others wait more than F
   * after this worker's last write, which falls after that deadline.
   */
  #abandonHandoff(h: HeldLease): void {
    if (h.phase !== 'handoff-in') return
    h.phase = 'gone'
    h.disarm()
    h.pipeline.abort(new AbortedError('consumer stopped during a handoff'))
    this.#held.delete(h.shardId)
    this.logger.info(
      { shardId: h.shardId, previousOwner: h.otherOwner },
      'stopping mid-handoff: leaving the lease to expire rather than release it',
    )
    this.#checkAllGone()
  }

  /** Rule 5: gives the lease up (fenced), so another worker takes it at its next scan. */
  #release(h: HeldLease): Promise<void> {
    return h.enqueue(async () => {
      if (h.phase === 'gone' || h.phase === 'handoff-out') return
      try {
        await this.#holderWrite(h, (counter) =>
          releaseLeaseInput(this.options.tableName, {
            leaseKey: h.shardId,
            owner: this.workerId,
            counter,
          }),
        )
        this.logger.info({ shardId: h.shardId }, 'lease released')
        this.events.emit('leaseReleased', { shardId: h.shardId })
      } catch (error) {
        if (!(error instanceof LeaseLostError))
          this.logger.warn(
            { err: error, shardId: h.shardId },
            'release failed; the lease will expire instead',
          )
      } finally {
        // A handoff found by this write is finished by the caller (its handoff checkpoint).
        if (!h.isGone() && !h.isHandingOff()) {
          h.phase = 'gone'
          h.disarm()
          h.pipeline.abort(new AbortedError('lease released'))
          this.#held.delete(h.shardId)
          this.#checkAllGone()
        }
      }
    })
  }

  // ---- called by the pipeline ----

  /** The pipeline of `h` has returned; act on its phase. */
  async pipelineEnded(
    h: HeldLease,
    policy: Exclude<HandlerFailurePolicy, 'retry-forever'> | undefined,
  ): Promise<void> {
    if (h.phase === 'gone') return
    if (h.phase === 'handoff-out') {
      await this.#finishHandoff(h)
      return
    }
    try {
      await this.flush(h)
    } catch (error) {
      if (!(error instanceof LeaseLostError))
        this.logger.warn({ err: error, shardId: h.shardId }, 'final checkpoint failed')
    }
    if (policy !== undefined) this.#cooldown.set(h.shardId, this.options.clock.now() + this.#F)
    await this.#release(h)
    // The final flush or the release may have found a handoff begun meanwhile: the new owner waits
    // for this worker's handoff checkpoint (or its whole timeout), so write it now.
    if (h.isHandingOff()) await this.#finishHandoff(h)
    if (policy === 'stop') {
      this.logger.error(
        { shardId: h.shardId },
        'handler kept failing: stopping the consumer (onHandlerFailure: stop)',
      )
      void this.stop()
    } else if (this.#state === 'running') {
      this.scanSoon()
    }
  }

  /** A handler has run longer than maxProcessTimeMs. */
  slowHandler(h: HeldLease, elapsedMs: number): void {
    const o = this.options
    this.logger.warn(
      {
        shardId: h.shardId,
        elapsedMs: Math.round(elapsedMs),
        maxProcessTimeMs: o.maxProcessTimeMs,
      },
      'handler is slow',
    )
    this.events.emit('slowHandler', { shardId: h.shardId, elapsedMs })
    o.metrics.record('SlowHandlers', 1, 'Count', { StreamName: o.streamName, ShardId: h.shardId })
    if (o.onSlowHandler === 'release-lease' && h.phase === 'running') {
      h.phase = 'stopping'
      this.#cooldown.set(h.shardId, o.clock.now() + this.#F)
      h.pipeline.abort(
        new AbortedError(`handler ran over ${o.maxProcessTimeMs} ms: lease given up`),
      )
    }
  }

  /** Logs and reports an error the worker carries on after. */
  reportError(error: unknown, shardId?: string): void {
    this.logger.error({ err: error, shardId }, 'shard pipeline failed')
    this.events.emit('error', { error, ...(shardId !== undefined ? { shardId } : {}) })
  }
}
