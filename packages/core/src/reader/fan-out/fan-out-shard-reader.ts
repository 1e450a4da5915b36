// Reads one shard with enhanced fan-out: SubscribeToShard as a registered consumer, the pushed
// events turned into the same batches as the polling ShardReader yields, and a new subscription
// from the last event's ContinuationSequenceNumber whenever one ends (each lasts at most 5
// minutes) or fails. Events are pulled one at a time, so a slow consumer holds the stream back.

import { malformedResponseError } from '../../aws-errors.js'
import { abortReason } from '../../clock.js'
import { InvalidConfigError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import type { MetricDimensions } from '../../metrics.js'
import type { RecordPosition } from '../../sequence-number.js'
import { buildBatch } from '../batch.js'
import { checkpointOf, describePosition, type ShardPosition } from '../iterator-position.js'
import { ReadRecovery } from '../read-recovery.js'
import type { ReadVerdict } from '../retry-policy.js'
import type { ShardBatch } from '../shard-reader.js'
import { checkEvent } from './checked-event.js'
import { missingConsumerVerdict } from './consumer-check.js'
import {
  resolveFanOutShardReaderOptions,
  type FanOutShardReaderOptions,
  type ResolvedFanOutShardReaderOptions,
} from './fan-out-reader-options.js'
import { startingPosition } from './starting-position.js'
import { subscribeVerdict } from './subscribe-verdict.js'
import { subscribe, type Subscription } from './subscription.js'

/** Kinesis allows one SubscribeToShard per second per consumer and shard. */
const SUBSCRIBE_INTERVAL_MS = 1_000

/** How one subscription finished, short of the shard's end. */
type Outcome =
  | { readonly kind: 'ended' }
  | { readonly kind: 'failed'; readonly operation: string; readonly verdict: ReadVerdict }

/**
 * Reads one shard as a registered stream consumer (enhanced fan-out), yielding a
 * {@link ShardBatch} per SubscribeToShard event: the same batches as {@link ShardReader}, so
 * whatever consumes them need not know how they were read.
 *
 * ```ts
 * const { consumerARN } = await ensureStreamConsumer(client, { streamARN, consumerName: 'billing' })
 * const reader = new FanOutShardReader({ client, consumerARN, shardId, position: 'TRIM_HORIZON', signal })
 * for await (const batch of reader) await handle(batch.records)
 * ```
 *
 * When a subscription ends, the next starts after the last event's `ContinuationSequenceNumber`
 * (never at `LATEST` again), so no record is skipped or repeated across subscriptions. At most
 * one SubscribeToShard is sent per second. `ResourceInUseException` (another subscription of
 * the consumer to the shard still open), `LimitExceededException`, throttles, stream errors,
 * broken connections, a subscription silent for `eventTimeoutMs` and malformed events (without
 * `Records`, or without `ContinuationSequenceNumber` other than the final event with
 * `ChildShards`) are retried with jittered backoff; typed errors surface for what retrying
 * cannot fix. Breaking out of the loop or aborting `signal` closes the subscription; a later
 * {@link FanOutShardReader.read} resumes after the last batch yielded.
 *
 * The client may use the SDK's default HTTP/2 handler (AWS) or an HTTP/1.1 one (an emulator's
 * plain port): each subscription holds one HTTP/2 stream, or one HTTP/1.1 connection.
 */
export class FanOutShardReader implements AsyncIterable<ShardBatch> {
  /** The shard this reader reads. */
  readonly shardId: string
  readonly #o: ResolvedFanOutShardReaderOptions
  readonly #log: Logger
  readonly #dimensions: MetricDimensions
  readonly #recovery: ReadRecovery
  /** Where the next subscription starts. */
  #position: ShardPosition
  #checkpoint: RecordPosition | undefined
  #lastSequenceNumber: string | undefined
  #nextSubscribeAt = -Infinity
  #reading = false

  /** @throws InvalidConfigError listing every problem with `options` */
  constructor(options: FanOutShardReaderOptions) {
    const o = resolveFanOutShardReaderOptions(options)
    this.#o = o
    this.shardId = o.shardId
    this.#log = o.logger.child({ streamName: o.streamLabel, shardId: o.shardId, fanOut: true })
    this.#dimensions = { StreamName: o.streamLabel, ShardId: o.shardId }
    this.#recovery = new ReadRecovery({ ...o, log: this.#log })
    this.#position = o.position
    this.#checkpoint = checkpointOf(o.position)
  }

  /**
   * Sequence number of the last Kinesis record read (delivered, or dropped as at or before the
   * checkpoint); undefined before the first.
   */
  get lastSequenceNumber(): string | undefined {
    return this.#lastSequenceNumber
  }

  /**
   * The batches of the shard, from the start position (or, on a later call, after the last batch
   * yielded) to the shard's end. One read at a time per reader. Rejects with the abort reason
   * once `signal` aborts, and with a {@link KineError} for a failure retrying cannot fix.
   */
  read(): AsyncGenerator<ShardBatch, void, undefined> {
    return this.#run()
  }

  /** Same as {@link FanOutShardReader.read}. */
  [Symbol.asyncIterator](): AsyncGenerator<ShardBatch, void, undefined> {
    return this.#run()
  }

  async *#run(): AsyncGenerator<ShardBatch, void, undefined> {
    if (this.#reading) {
      throw new InvalidConfigError('use of FanOutShardReader', [
        `shard ${this.shardId} is already being read by this FanOutShardReader: one read() at a time`,
      ])
    }
    this.#reading = true
    const { signal, metrics } = this.#o
    try {
      let failures = 0
      let opened = 0
      for (;;) {
        if (signal?.aborted) throw abortReason(signal)
        let subscription: Subscription
        try {
          subscription = await this.#subscribe()
        } catch (error) {
          failures = await this.#failed(
            'SubscribeToShard',
            subscribeVerdict(error, this.#recovery),
            failures,
          )
          continue
        }
        metrics.record('FanOut.Subscriptions', 1, 'Count', this.#dimensions)
        if (++opened > 1) metrics.record('FanOut.Resubscriptions', 1, 'Count', this.#dimensions)

        let outcome: Outcome | 'shard-end'
        try {
          outcome = yield* this.#events(subscription, () => (failures = 0))
        } finally {
          subscription.close()
        }
        if (outcome === 'shard-end') return
        if (outcome.kind === 'ended') {
          this.#log.debug({ from: describePosition(this.#position) }, 'subscription ended')
          continue
        }
        // Closed before the backoff, so the shard's slot is being released while we wait.
        failures = await this.#failed(outcome.operation, outcome.verdict, failures)
      }
    } finally {
      this.#reading = false
    }
  }

  /** Acts on a failure; a "not found" is first checked against the consumer, then the shard. */
  async #failed(operation: string, verdict: ReadVerdict, failures: number): Promise<number> {
    if (verdict.action === 'check-shard') {
      const o = this.#o
      const consumer = await this.#recovery
        .underDeadline(`DescribeStreamConsumer for ${o.consumerARN}`, (signal) =>
          missingConsumerVerdict(o.client, o.consumerARN, signal, verdict.cause),
        )
        .catch(() => undefined)
      if (consumer !== undefined) return this.#recovery.failed(operation, consumer, failures)
    }
    return this.#recovery.failed(operation, verdict, failures)
  }

  /** One SubscribeToShard from the current position, at most one per second. */
  async #subscribe(): Promise<Subscription> {
    const o = this.#o
    const wait = this.#nextSubscribeAt - o.clock.now()
    if (wait > 0) await o.clock.sleep(wait, o.signal)
    this.#nextSubscribeAt = o.clock.now() + SUBSCRIBE_INTERVAL_MS
    const position = this.#position
    const wallBefore = o.clock.wallNow()
    const subscription = await subscribe({
      client: o.client,
      consumerARN: o.consumerARN,
      shardId: o.shardId,
      startingPosition: startingPosition(position),
      clock: o.clock,
      requestTimeoutMs: o.requestTimeoutMs,
      eventTimeoutMs: o.eventTimeoutMs,
      signal: o.signal,
    })
    // Subscribing at LATEST again would skip what was written meanwhile: until an event says
    // where to continue, later subscriptions start where this one did, by this host's clock.
    if (isLatest(position))
      this.#position = { type: 'AT_TIMESTAMP', timestamp: new Date(wallBefore) }
    this.#log.debug({ position: describePosition(position) }, 'subscribed')
    return subscription
  }

  /**
   * Yields a batch per event of `subscription` until it ends (`ended`), fails (`failed`, with
   * the verdict) or the shard ends (`shard-end`, after its last batch). `onGoodEvent` resets the
   * caller's failure count.
   */
  async *#events(
    subscription: Subscription,
    onGoodEvent: () => void,
  ): AsyncGenerator<ShardBatch, Outcome | 'shard-end', undefined> {
    const o = this.#o
    for (;;) {
      let received
      try {
        received = await subscription.next()
      } catch (error) {
        return {
          kind: 'failed',
          operation: 'SubscribeToShard',
          verdict: subscribeVerdict(error, this.#recovery),
        }
      }
      if (received === undefined) return { kind: 'ended' }
      const checked = checkEvent(received.event)
      if (typeof checked === 'string') {
        if (!o.signal?.aborted) o.metrics.record('MalformedResponses', 1, 'Count', this.#dimensions)
        const error = malformedResponseError(
          'SubscribeToShard event',
          checked,
          this.#recovery.what(),
        )
        return {
          kind: 'failed',
          operation: 'SubscribeToShard',
          verdict: { action: 'retry', error, throttled: false },
        }
      }
      onGoodEvent()
      o.metrics.record('FanOut.Events', 1, 'Count', this.#dimensions)
      const built = buildBatch(checked.records, this.shardId, o.hashKeyRange, this.#checkpoint)
      this.#checkpoint = built.checkpoint
      if (built.lastSequenceNumber !== undefined)
        this.#lastSequenceNumber = built.lastSequenceNumber
      const behind = checked.millisBehindLatest
      if (behind !== undefined)
        o.metrics.record('MillisBehindLatest', behind, 'Milliseconds', this.#dimensions)

      if (checked.kind === 'shard-end') {
        this.#log.info({ childShards: checked.childShards.map((c) => c.shardId) }, 'shard ended')
        yield {
          records: built.records,
          millisBehindLatest: behind,
          shardEnded: true,
          childShards: checked.childShards,
        }
        return 'shard-end'
      }
      // Set before the batch is handed over: a batch yielded counts as read, as with ShardReader.
      this.#position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: checked.continuation }
      yield {
        records: built.records,
        millisBehindLatest: behind,
        shardEnded: false,
        childShards: undefined,
      }
    }
  }
}

function isLatest(position: ShardPosition): boolean {
  return position === 'LATEST' || (typeof position === 'object' && position.type === 'LATEST')
}
