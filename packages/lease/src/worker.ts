// The engine behind Consumer: its lifecycle and its two loops (renewals every F/3, scans every
// scan interval), and one pipeline per held shard. The lease protocol itself (docs/lease-protocol.md,
// "rule N" below) is in its parts: holder-writes.ts (fenced writes, rules 1–3 and 5),
// lease-scanner.ts (liveness, fair share, takes), handoff.ts (rule 4) and shard-end.ts (rule 8).

import {
  AbortedError,
  InvalidConfigError,
  LeaseLostError,
  describeStreamSummary,
  ensureLeaseTable,
  type Logger,
} from '@kine/core'
import { abortReason, backoffDelay, toKineError } from '@kine/core/lease-table'
import { ConsumerEmitter } from './events.js'
import { Handoff } from './handoff.js'
import type { HeldLease, LeasePhase } from './held-lease.js'
import { HeldLeases } from './held-leases.js'
import { HolderWrites } from './holder-writes.js'
import { LeaseScanner } from './lease-scanner.js'
import { LeaseStore } from './lease-store.js'
import type { HandlerFailurePolicy, ResolvedOptions } from './options.js'
import type { PipelineHost } from './pipeline-host.js'
import { finishShard } from './shard-end.js'
import { runPipeline } from './shard-pipeline.js'
import type { WorkerContext } from './worker-context.js'

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped'

/** The worker's machinery; {@link Consumer} is its public face. */
export class Worker {
  readonly #ctx: WorkerContext
  readonly #writes: HolderWrites
  readonly #handoff: Handoff
  readonly #scanner: LeaseScanner
  readonly #pipelineHost: PipelineHost
  readonly #loops = new AbortController()
  readonly #renewals = new AbortController()
  #wake = new AbortController()
  #state: State = 'new'
  #keepAlive: ReturnType<typeof setInterval> | undefined
  #stopPromise: Promise<void> | undefined
  /** The scan in progress (its takes included), which stop() waits for. */
  #scanning: Promise<void> = Promise.resolve()

  constructor(options: ResolvedOptions) {
    const logger = options.logger.child({
      workerId: options.workerId,
      streamName: options.streamName,
    })
    const initial = options.initialPosition
    const ctx: WorkerContext = {
      options,
      workerId: options.workerId,
      logger,
      events: new ConsumerEmitter(logger),
      store: new LeaseStore(
        options.dynamodb,
        options.tableName,
        options.clock,
        Math.max(500, Math.round(options.leaseDurationMs / 3)),
        Math.max(5_000, options.leaseDurationMs),
        { logger, metrics: options.metrics, streamName: options.streamName },
      ),
      held: new HeldLeases(),
      workerDims: { StreamName: options.streamName, WorkerId: options.workerId },
      timestamp: typeof initial === 'object' ? initial.timestamp : undefined,
    }
    this.#ctx = ctx
    const isRunning = (): boolean => this.#state === 'running'
    const startPipeline = (h: HeldLease): void => this.#startPipeline(h)
    const signal = this.#loops.signal
    this.#writes = new HolderWrites(ctx, (h, newOwner) => this.#handoff.found(h, newOwner))
    this.#handoff = new Handoff(ctx, this.#writes, {
      isRunning,
      startPipeline,
      scanSoon: () => this.#scanSoon(),
      signal,
    })
    this.#scanner = new LeaseScanner(ctx, this.#writes, this.#handoff, {
      isRunning,
      startPipeline,
      signal,
    })
    this.#pipelineHost = {
      options,
      workerId: ctx.workerId,
      logger,
      events: ctx.events,
      timestamp: ctx.timestamp,
      flush: (h) => this.#writes.flush(h),
      finishShard: async (h, children) => {
        await finishShard(ctx, this.#writes, h, children)
        this.#scanSoon()
      },
      pipelineEnded: (h, policy) => this.#pipelineEnded(h, policy),
      slowHandler: (h, elapsedMs) => this.#slowHandler(h, elapsedMs),
      reportError: (error, shardId) => this.#reportError(error, shardId),
    }
  }

  get workerId(): string {
    return this.#ctx.workerId
  }

  get events(): ConsumerEmitter {
    return this.#ctx.events
  }

  get #logger(): Logger {
    return this.#ctx.logger
  }

  /** Shard ids of the leases held now, by phase. */
  held(): { shardId: string; phase: LeasePhase }[] {
    return this.#ctx.held.all().map((h) => ({ shardId: h.shardId, phase: h.phase }))
  }

  // ---- lifecycle ----

  /** See {@link Consumer.start}. */
  async start(): Promise<void> {
    if (this.#state !== 'new')
      throw new InvalidConfigError('use of Consumer', ['a Consumer can be started only once'])
    this.#state = 'starting'
    const { signal, clock, tableName } = this.#ctx.options
    if (signal?.aborted) {
      this.#state = 'stopped'
      throw abortReason(signal)
    }
    signal?.addEventListener('abort', this.#onAbort, { once: true })
    try {
      await this.#checkStream()
      await ensureLeaseTable(this.#ctx.options.dynamodb, tableName, {
        clock,
        logger: this.#logger,
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
          const kineError = toKineError(error, `lease table "${tableName}"`, 'TABLE_NOT_FOUND')
          if (!kineError.retryable) throw kineError
          this.#logger.warn({ err: error, attempt }, 'first lease scan failed; retrying')
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
    this.#logger.info({ held: this.#ctx.held.size }, 'consumer started')
  }

  readonly #onAbort = (): void => void this.stop()

  /**
   * The stream must exist and be readable: what retrying cannot fix makes start() reject; throttles,
   * transient errors and answers without a summary are asked again until stop().
   */
  async #checkStream(): Promise<void> {
    const { kinesis, streamName, clock, metrics } = this.#ctx.options
    await describeStreamSummary(kinesis, {
      streamName,
      maxAttempts: Infinity,
      signal: this.#loops.signal,
      clock,
      logger: this.#logger,
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
    const { options, held } = this.#ctx
    options.signal?.removeEventListener('abort', this.#onAbort)
    this.#loops.abort(new AbortedError('consumer stopped'))
    // A take in flight when stop() was called gives its lease straight back; wait for it.
    await this.#scanning
    const pipelines: Promise<void>[] = []
    for (const h of held.all()) {
      if (h.phase === 'handoff-in') this.#handoff.abandon(h)
      else if (h.phase === 'running') {
        h.phase = 'stopping'
        h.reading.abort(new AbortedError('consumer stopping'))
      }
      if (h.running) pipelines.push(h.running)
    }
    const timeout = new AbortController()
    const timedOut = options.clock.sleep(options.stopTimeoutMs, timeout.signal).then(
      () => true,
      () => false,
    )
    if (await Promise.race([Promise.all(pipelines).then(() => false), timedOut])) {
      this.#logger.warn(
        { timeoutMs: options.stopTimeoutMs },
        'stop timeout: abandoning in-flight handlers',
      )
      for (const h of held.all()) h.pipeline.abort(new AbortedError('stop timeout'))
    }
    timeout.abort()
    await held.emptied()
    this.#renewals.abort()
    if (this.#keepAlive !== undefined) clearInterval(this.#keepAlive)
    this.#state = 'stopped'
    this.#logger.info('consumer stopped')
  }

  // ---- loops ----

  async #renewLoop(): Promise<void> {
    const { options, held } = this.#ctx
    const signal = this.#renewals.signal
    for (;;) {
      try {
        await options.clock.sleep(options.leaseDurationMs / 3, signal)
      } catch {
        return
      }
      for (const h of held.all()) void this.#writes.renew(h)
    }
  }

  async #scanLoop(): Promise<void> {
    const { clock, random, scanIntervalMs } = this.#ctx.options
    for (;;) {
      const now = clock.now()
      let delay = scanIntervalMs * (0.9 + 0.2 * random())
      // Scan again when a lease seen held by another worker would expire (rule 1).
      const expiry = this.#scanner.nextExpiry(now)
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
        this.#logger.warn({ err: error }, 'lease scan failed; retrying at the next one')
      }
    }
  }

  /** Makes the next scan happen now (after a shard end or a release frees work). */
  #scanSoon(): void {
    this.#wake.abort()
  }

  #scan(): Promise<void> {
    const scan = this.#scanner.scan()
    this.#scanning = scan.catch(() => {})
    return scan
  }

  // ---- pipelines ----

  #startPipeline(h: HeldLease): void {
    h.running = runPipeline(this.#pipelineHost, h).catch((error: unknown) => {
      this.#reportError(error, h.shardId)
    })
  }

  /** The pipeline of `h` has returned; act on its phase. */
  async #pipelineEnded(
    h: HeldLease,
    policy: Exclude<HandlerFailurePolicy, 'retry-forever'> | undefined,
  ): Promise<void> {
    if (h.phase === 'gone') return
    if (h.phase === 'handoff-out') {
      await this.#handoff.finish(h)
      return
    }
    try {
      await this.#writes.flush(h)
    } catch (error) {
      if (!(error instanceof LeaseLostError))
        this.#logger.warn({ err: error, shardId: h.shardId }, 'final checkpoint failed')
    }
    if (policy !== undefined) this.#scanner.coolDown(h.shardId)
    // The final flush or the release may have found a handoff begun meanwhile: the new owner waits
    // for this worker's handoff checkpoint (or its whole timeout), so it is written then.
    await this.#handoff.release(h)
    if (policy === 'stop') {
      this.#logger.error(
        { shardId: h.shardId },
        'handler kept failing: stopping the consumer (onHandlerFailure: stop)',
      )
      void this.stop()
    } else if (this.#state === 'running') {
      this.#scanSoon()
    }
  }

  #slowHandler(h: HeldLease, elapsedMs: number): void {
    const o = this.#ctx.options
    this.#logger.warn(
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
      this.#scanner.coolDown(h.shardId)
      h.pipeline.abort(
        new AbortedError(`handler ran over ${o.maxProcessTimeMs} ms: lease given up`),
      )
    }
  }

  #reportError(error: unknown, shardId?: string): void {
    this.#logger.error({ err: error, shardId }, 'shard pipeline failed')
    this.events.emit('error', { error, ...(shardId !== undefined ? { shardId } : {}) })
  }
}
