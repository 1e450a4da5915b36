// The per-shard throttle governor: Kinesis allows each shard 5 GetRecords and 5 GetShardIterator
// calls per second and 2 MB/s of reads, and a 10 MB response throttles the next 5 s. The reader
// stays inside those limits itself instead of learning them from exceptions. Every attempt counts,
// the SDK's own retries included: the middleware below gates each one as the SDK makes it.

import { abortReason, type Clock } from '../clock.js'

/** Per-shard limits the reader keeps to. `Infinity` lifts one (for emulators and benchmarks). */
export interface ReaderLimits {
  /**
   * GetRecords attempts per second per shard (a sliding one-second window).
   * @defaultValue 5 ({@link DEFAULT_GET_RECORDS_PER_SECOND}, the Kinesis limit)
   */
  readonly getRecordsPerSecond?: number
  /**
   * GetShardIterator attempts per second per shard.
   * @defaultValue 5 ({@link DEFAULT_GET_SHARD_ITERATOR_PER_SECOND}, the Kinesis limit)
   */
  readonly getShardIteratorPerSecond?: number
  /**
   * Record bytes (data plus partition key) read per second per shard, averaged: after a response
   * of B bytes the next GetRecords waits until B / bytesPerSecond has passed, so a 10 MB
   * response holds the shard for 5 s, as Kinesis does.
   * @defaultValue 2,000,000 ({@link DEFAULT_READ_BYTES_PER_SECOND}, the Kinesis limit of 2 MB/s)
   */
  readonly bytesPerSecond?: number
}

/** Kinesis: 5 GetRecords calls per second per shard. */
const DEFAULT_GET_RECORDS_PER_SECOND = 5
/** Kinesis: 5 GetShardIterator calls per second per shard. */
const DEFAULT_GET_SHARD_ITERATOR_PER_SECOND = 5
/** Kinesis: 2 MB per second per shard read through GetRecords (decimal MB, the cautious reading). */
const DEFAULT_READ_BYTES_PER_SECOND = 2_000_000

/** The two per-shard operations the governor meters. */
export type ThrottledOperation = 'GetRecords' | 'GetShardIterator'

/** Limits with every default applied. */
export interface ResolvedReaderLimits {
  readonly getRecordsPerSecond: number
  readonly getShardIteratorPerSecond: number
  readonly bytesPerSecond: number
}

/** Applies the defaults; `'unlimited'` lifts every limit. */
export function resolveLimits(
  limits: ReaderLimits | 'unlimited' | undefined,
): ResolvedReaderLimits {
  if (limits === 'unlimited') {
    return {
      getRecordsPerSecond: Infinity,
      getShardIteratorPerSecond: Infinity,
      bytesPerSecond: Infinity,
    }
  }
  return {
    getRecordsPerSecond: limits?.getRecordsPerSecond ?? DEFAULT_GET_RECORDS_PER_SECOND,
    getShardIteratorPerSecond:
      limits?.getShardIteratorPerSecond ?? DEFAULT_GET_SHARD_ITERATOR_PER_SECOND,
    bytesPerSecond: limits?.bytesPerSecond ?? DEFAULT_READ_BYTES_PER_SECOND,
  }
}

/** Every problem with a `limits` option (empty when valid). */
export function limitsProblems(limits: unknown, key = 'limits'): string[] {
  if (limits === undefined || limits === 'unlimited') return []
  if (typeof limits !== 'object' || limits === null) {
    return [`${key}: expected 'unlimited' or an object of limits`]
  }
  const problems: string[] = []
  const l = limits as Record<string, unknown>
  for (const name of ['getRecordsPerSecond', 'getShardIteratorPerSecond'] as const) {
    const v = l[name]
    if (
      v !== undefined &&
      !(v === Infinity || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1))
    ) {
      problems.push(`${key}.${name}: expected a positive integer or Infinity`)
    }
  }
  const b = l.bytesPerSecond
  if (b !== undefined && !(typeof b === 'number' && b > 0 && !Number.isNaN(b))) {
    problems.push(`${key}.bytesPerSecond: expected a positive number or Infinity`)
  }
  return problems
}

/**
 * At most `limit` events in any one-second window: each event gets a slot at least a second after
 * the event `limit` places before it, and no earlier than the event before it. Attempts reported
 * after the fact take the next free slots even if those lie ahead, so later calls pay them back.
 */
class CallWindow {
  readonly #limit: number
  // The slots of the last `limit` events, oldest first, as a ring.
  readonly #slots: number[] = []
  #oldest = 0

  constructor(limit: number) {
    this.#limit = limit
  }

  #newestIndex(): number {
    return this.#slots.length < this.#limit
      ? this.#slots.length - 1
      : (this.#oldest + this.#limit - 1) % this.#limit
  }

  /** The earliest slot for one more event, given the time is `now`. */
  #nextSlot(now: number): number {
    if (this.#slots.length === 0) return now
    let slot = Math.max(now, this.#slots[this.#newestIndex()] as number)
    if (this.#slots.length === this.#limit)
      slot = Math.max(slot, (this.#slots[this.#oldest] as number) + 1000)
    return slot
  }

  /** Milliseconds until one more call may go (0: now). */
  delay(now: number): number {
    if (this.#limit === Infinity) return 0
    return this.#nextSlot(now) - now
  }

  /** Takes the next slot for an event happening at `now` (or, if it is taken, the next free one). */
  record(now: number): void {
    if (this.#limit === Infinity) return
    const slot = this.#nextSlot(now)
    if (this.#slots.length < this.#limit) {
      this.#slots.push(slot)
      return
    }
    this.#slots[this.#oldest] = slot
    this.#oldest = (this.#oldest + 1) % this.#limit
  }

  /** Moves the newest slot to `now` (it was admitted a little before it really went out). */
  touchNewest(now: number): void {
    if (this.#limit === Infinity || this.#slots.length === 0) return
    const newest = this.#newestIndex()
    this.#slots[newest] = Math.max(this.#slots[newest] as number, now)
  }
}

/**
 * Bytes read are a debt repaid at `rate` bytes/s; a GetRecords waits until the debt is paid.
 * So reads average `rate`, and one big response holds the shard in proportion (10 MB: 5 s).
 */
class ByteBudget {
  readonly #rate: number
  #debt = 0
  #at = 0

  constructor(rate: number) {
    this.#rate = rate
  }

  #repay(now: number): void {
    if (this.#debt > 0)
      this.#debt = Math.max(0, this.#debt - ((now - this.#at) * this.#rate) / 1000)
    this.#at = now
  }

  delay(now: number): number {
    if (this.#rate === Infinity) return 0
    this.#repay(now)
    const ms = (this.#debt * 1000) / this.#rate
    // Under a millisecond is not worth a timer; the debt stays and the next response adds to it.
    return ms < 1 ? 0 : ms
  }

  spend(bytes: number, now: number): void {
    if (this.#rate === Infinity || bytes <= 0) return
    this.#repay(now)
    this.#debt += bytes
  }
}

/**
 * The throttle governor of one shard. Call {@link ShardThrottle.acquire} before every attempt of a
 * metered operation (the reader does it for the first attempt, {@link governAttempts} for each SDK
 * retry); report attempts that bypassed it with {@link ShardThrottle.charge}, and the bytes of each
 * GetRecords response with {@link ShardThrottle.spendBytes}.
 */
export class ShardThrottle {
  readonly #clock: Clock
  readonly #getRecords: CallWindow
  readonly #getShardIterator: CallWindow
  readonly #bytes: ByteBudget

  constructor(limits: ResolvedReaderLimits, clock: Clock) {
    this.#clock = clock
    this.#getRecords = new CallWindow(limits.getRecordsPerSecond)
    this.#getShardIterator = new CallWindow(limits.getShardIteratorPerSecond)
    this.#bytes = new ByteBudget(limits.bytesPerSecond)
  }

  #window(operation: ThrottledOperation): CallWindow {
    return operation === 'GetRecords' ? this.#getRecords : this.#getShardIterator
  }

  /** Milliseconds before one more attempt of `operation` may go (0: now). */
  delay(operation: ThrottledOperation): number {
    const now = this.#clock.now()
    const calls = this.#window(operation).delay(now)
    return operation === 'GetRecords' ? Math.max(calls, this.#bytes.delay(now)) : calls
  }

  /**
   * Waits until one more attempt of `operation` is within the limits, then counts it.
   * Rejects with the abort reason as soon as `signal` aborts.
   */
  async acquire(operation: ThrottledOperation, signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw abortReason(signal)
      const wait = this.delay(operation)
      if (wait <= 0) break
      await this.#clock.sleep(wait, signal)
    }
    this.#window(operation).record(this.#clock.now())
  }

  /** The attempt admitted last is only now going out: count it from now. */
  restamp(operation: ThrottledOperation): void {
    this.#window(operation).touchNewest(this.#clock.now())
  }

  /** Counts `attempts` that went out without {@link ShardThrottle.acquire} (reported after the fact). */
  charge(operation: ThrottledOperation, attempts: number): void {
    const now = this.#clock.now()
    for (let i = 0; i < attempts; i++) this.#window(operation).record(now)
  }

  /** Counts the record bytes of a GetRecords response against the read budget. */
  spendBytes(bytes: number): void {
    this.#bytes.spend(bytes, this.#clock.now())
  }
}

/** The part of an SDK command's middleware stack used here (commands differ in their generic types). */
export interface CommandWithStack {
  readonly middlewareStack: { add(middleware: never, options: never): void }
}

/** Callbacks of {@link governAttempts}, run around each attempt the SDK makes. */
interface AttemptHooks {
  /** Before each attempt; `attempt` counts from 1. May wait (the governor); rejects to abandon it. */
  before(attempt: number): Promise<void>
  /** After each attempt, with its error if it failed. */
  after(attempt: number, error: unknown): void
}

type Next = (args: unknown) => Promise<unknown>

/**
 * Adds a middleware to this one command (never to the caller's client) that runs `hooks` around
 * every attempt: it sits in the `finalizeRequest` step below the SDK's retry middleware (which
 * has high priority there), so the SDK's own retries pass through it too.
 */
export function governAttempts(command: CommandWithStack, hooks: AttemptHooks): void {
  let attempt = 0
  const middleware = (next: Next) => async (args: unknown) => {
    attempt += 1
    const n = attempt
    await hooks.before(n)
    try {
      const result = await next(args)
      hooks.after(n, undefined)
      return result
    } catch (error) {
      hooks.after(n, error)
      throw error
    }
  }
  // The stack's overloads are typed per step; this is the finalizeRequest form.
  command.middlewareStack.add(
    middleware as never,
    {
      step: 'finalizeRequest',
      priority: 'normal',
      name: 'kineAttemptGovernor',
      override: true,
    } as never,
  )
}
