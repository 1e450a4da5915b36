// Reads one shard in order, batch by batch: GetShardIterator, then GetRecords in a loop inside the
// shard's limits, with retries, fresh iterators after expiry, KPL de-aggregation, and the shard's
// children at its end. Batches are pulled, never pushed: at most one batch is held plus the call in
// flight, and a slow consumer simply slows the reads down.

import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetRecordsCommandOutput,
  type GetShardIteratorCommandOutput,
} from '@aws-sdk/client-kinesis'
import { isThrottleError, malformedResponseError } from '../aws-errors.js'
import { abortReason } from '../clock.js'
import { InvalidConfigError } from '../errors.js'
import type { KineError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { MetricDimensions } from '../metrics.js'
import type { KineRecord } from '../record.js'
import { isSequenceNumber, type RecordPosition } from '../sequence-number.js'
import { buildBatch } from './batch.js'
import {
  childShardsFromResponse,
  listChildShards,
  malformedChildShards,
  type ChildShard,
} from './child-shards.js'
import { governedSend, type GovernedSendContext } from './governed-send.js'
import {
  checkpointOf,
  describePosition,
  iteratorRequest,
  type ShardPosition,
} from './iterator-position.js'
import { ReadRecovery } from './read-recovery.js'
import type { ReadVerdict } from './retry-policy.js'
import {
  resolveShardReaderOptions,
  type ResolvedShardReaderOptions,
  type ShardReaderOptions,
} from './shard-reader-options.js'
import { ShardThrottle } from './throttle.js'

/** One GetRecords response, as the reader delivers it. */
export interface ShardBatch {
  /**
   * The user records, in shard order: KPL aggregates opened, records at or before a resumed
   * checkpoint dropped. Often empty (a caught-up shard yields empty batches at the idle pace).
   * Each record's `data` is the SDK's own bytes, not a copy.
   */
  readonly records: readonly KineRecord[]
  /** How far behind the shard's tip this response was, as Kinesis reported it. */
  readonly millisBehindLatest: number | undefined
  /** True on the last batch of a closed shard: nothing follows it. */
  readonly shardEnded: boolean
  /**
   * On the last batch, the shards it was split or merged into (empty when it has none);
   * undefined on every other batch.
   */
  readonly childShards: readonly ChildShard[] | undefined
}

/**
 * Reads one shard from a position, yielding a {@link ShardBatch} per GetRecords response.
 *
 * ```ts
 * const reader = new ShardReader({ client, streamName, shardId, position: 'TRIM_HORIZON', signal })
 * for await (const batch of reader) {
 *   await handle(batch.records)
 *   if (batch.shardEnded) console.log('children', batch.childShards)
 * }
 * ```
 *
 * It stays within the shard's limits (every attempt counted, the SDK's retries included), retries
 * throttles, 5xx, network errors, timeouts and malformed responses with jittered backoff, renews
 * an expired iterator right after the last record read, and throws typed errors
 * (`ResourceNotFoundError`, `AccessDeniedError`, ...) for what retrying cannot fix. The shard
 * ends only with a GetRecords response that has `Records` and no `NextShardIterator`; an answer
 * lacking a field the API always returns is retried, never taken as the end. A
 * `ResourceNotFoundException` is checked against a complete ListShards: `SHARD_NOT_FOUND` only
 * when the shard is not listed, `STREAM_NOT_FOUND` when the stream is not, retried otherwise.
 * Breaking out of
 * the loop, or aborting `signal`, stops it; a later {@link ShardReader.read} resumes after the last
 * record read.
 */
export class ShardReader implements AsyncIterable<ShardBatch> {
  /** The shard this reader reads. */
  readonly shardId: string
  readonly #o: ResolvedShardReaderOptions
  readonly #throttle: ShardThrottle
  readonly #log: Logger
  readonly #dimensions: MetricDimensions
  readonly #send: GovernedSendContext
  readonly #recovery: ReadRecovery
  #lastSequenceNumber: string | undefined
  #checkpoint: RecordPosition | undefined
  // Wall time just before the first LATEST iterator was asked for: where a LATEST read resumes
  // if its iterator is lost before any record came (asking LATEST again would skip the records
  // written meanwhile).
  #latestFrom: Date | undefined
  #reading = false

  /** @throws InvalidConfigError listing every problem with `options` */
  constructor(options: ShardReaderOptions) {
    const o = resolveShardReaderOptions(options)
    this.#o = o
    this.shardId = o.shardId
    this.#throttle = new ShardThrottle(o.limits, o.clock)
    this.#log = o.logger.child({ streamName: o.streamLabel, shardId: o.shardId })
    this.#dimensions = { StreamName: o.streamLabel, ShardId: o.shardId }
    this.#checkpoint = checkpointOf(o.position)
    this.#recovery = new ReadRecovery({ ...o, log: this.#log })
    this.#send = {
      throttle: this.#throttle,
      clock: o.clock,
      requestTimeoutMs: o.requestTimeoutMs,
      signal: o.signal,
      onAttempts: (operation, attempts) => {
        if (operation === 'GetRecords')
          o.metrics.record('GetRecords.Calls', attempts, 'Count', this.#dimensions)
      },
      onAttemptError: (operation, error) => {
        if (operation !== 'GetRecords' || o.signal?.aborted) return
        const name = isThrottleError(error) ? 'GetRecords.Throttled' : 'GetRecords.Errors'
        o.metrics.record(name, 1, 'Count', this.#dimensions)
      },
    }
  }

  /**
   * Sequence number of the last Kinesis record read (delivered, or dropped as at or before the
   * checkpoint); undefined before the first. A new {@link ShardReader.read} starts after it.
   */
  get lastSequenceNumber(): string | undefined {
    return this.#lastSequenceNumber
  }

  /**
   * The batches of the shard, from the start position (or, on a later call, after the last record
   * read) to the shard's end. One read at a time per reader. Rejects with the abort reason once
   * `signal` aborts, and with a {@link KineError} for a failure retrying cannot fix.
   */
  read(): AsyncGenerator<ShardBatch, void, undefined> {
    return this.#run()
  }

  /** Same as {@link ShardReader.read}. */
  [Symbol.asyncIterator](): AsyncGenerator<ShardBatch, void, undefined> {
    return this.#run()
  }

  async *#run(): AsyncGenerator<ShardBatch, void, undefined> {
    if (this.#reading) {
      throw new InvalidConfigError('use of ShardReader', [
        `shard ${this.shardId} is already being read by this ShardReader: one read() at a time`,
      ])
    }
    this.#reading = true
    const { clock, signal } = this.#o
    try {
      let iterator: string | undefined
      let failures = 0
      let renewals = 0
      // Caught up: no GetRecords before this time.
      let readyAt = -Infinity
      for (;;) {
        if (signal?.aborted) throw abortReason(signal)
        // Even past the end of a closed shard GetShardIterator gives an iterator (its GetRecords
        // then says the shard ended): one without is malformed, retried inside.
        iterator ??= await this.#retrying('GetShardIterator', () => this.#getIterator())
        const wait = readyAt - clock.now()
        if (wait > 0) await clock.sleep(wait, signal)

        let output: GetRecordsCommandOutput
        try {
          output = await this.#getRecords(iterator)
        } catch (error) {
          const verdict = this.#recovery.classify(error)
          if (verdict.action === 'renew-iterator') {
            this.#o.metrics.record('ExpiredIterators', 1, 'Count', this.#dimensions)
            this.#log.debug(
              { after: this.#lastSequenceNumber },
              'shard iterator expired, getting a fresh one',
            )
            iterator = undefined
            // A fresh iterator that expires at once (a badly skewed clock) must not spin.
            if (++renewals > 1)
              failures = await this.#failed(
                'GetRecords',
                { ...verdict, action: 'retry', throttled: false },
                failures,
              )
            continue
          }
          failures = await this.#failed('GetRecords', verdict, failures)
          continue
        }
        failures = 0
        renewals = 0

        const records = output.Records as NonNullable<GetRecordsCommandOutput['Records']>
        const built = buildBatch(records, this.shardId, this.#o.hashKeyRange, this.#checkpoint)
        this.#checkpoint = built.checkpoint
        if (built.lastSequenceNumber !== undefined)
          this.#lastSequenceNumber = built.lastSequenceNumber
        this.#throttle.spendBytes(built.bytes)
        const behind = output.MillisBehindLatest
        if (behind !== undefined)
          this.#o.metrics.record('MillisBehindLatest', behind, 'Milliseconds', this.#dimensions)

        iterator = output.NextShardIterator ?? undefined
        if (iterator === undefined) {
          yield await this.#endBatch(built.records, behind, output)
          return
        }
        readyAt =
          records.length === 0 && (behind ?? 0) === 0 ? clock.now() + this.#o.idleWaitMs : -Infinity
        yield {
          records: built.records,
          millisBehindLatest: behind,
          shardEnded: false,
          childShards: undefined,
        }
      }
    } finally {
      this.#reading = false
    }
  }

  /** GetShardIterator at the start position, or right after the last record read. */
  async #getIterator(): Promise<string> {
    const o = this.#o
    let position: ShardPosition = o.position
    if (this.#lastSequenceNumber !== undefined) {
      position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: this.#lastSequenceNumber }
    } else if (this.#latestFrom !== undefined) {
      position = { type: 'AT_TIMESTAMP', timestamp: this.#latestFrom }
    }
    const request = iteratorRequest(position)
    const wallBefore = o.clock.wallNow()
    const command = new GetShardIteratorCommand({
      ...(o.streamName !== undefined ? { StreamName: o.streamName } : {}),
      ...(o.streamARN !== undefined ? { StreamARN: o.streamARN } : {}),
      ShardId: o.shardId,
      ...request,
    })
    const { output } = await governedSend<GetShardIteratorCommandOutput>(
      this.#send,
      'GetShardIterator',
      'GetShardIterator',
      command,
      (options) => o.client.send(command, options),
    )
    const iterator = output.ShardIterator
    if (typeof iterator !== 'string' || iterator === '')
      throw this.#malformed('GetShardIterator', 'ShardIterator')
    if (request.ShardIteratorType === 'LATEST') this.#latestFrom = new Date(wallBefore)
    this.#log.debug({ position: describePosition(position) }, 'got a shard iterator')
    return iterator
  }

  /**
   * One GetRecords. A response without `Records`, or a final one whose `ChildShards` lack ids or
   * parents, is malformed: the caller asks again with the same iterator (valid for 5 minutes).
   */
  async #getRecords(iterator: string): Promise<GetRecordsCommandOutput> {
    const o = this.#o
    const command = new GetRecordsCommand({
      ShardIterator: iterator,
      Limit: o.limit,
      ...(o.streamARN !== undefined ? { StreamARN: o.streamARN } : {}),
    })
    const { output } = await governedSend<GetRecordsCommandOutput>(
      this.#send,
      'GetRecords',
      'GetRecords',
      command,
      (options) => o.client.send(command, options),
    )
    if (!Array.isArray(output.Records)) {
      if (!o.signal?.aborted) o.metrics.record('GetRecords.Errors', 1, 'Count', this.#dimensions)
      throw this.#malformed('GetRecords', 'Records')
    }
    // Records are ordered and checkpointed by sequence number: one without is asked for again.
    const unnumbered = output.Records.findIndex((r) => !isSequenceNumber(r.SequenceNumber ?? ''))
    if (unnumbered !== -1)
      throw this.#malformed('GetRecords', `a SequenceNumber on record ${unnumbered}`)
    if (output.NextShardIterator == null) {
      const missing = malformedChildShards(output.ChildShards)
      if (missing !== undefined) throw this.#malformed('GetRecords', missing)
    }
    return output
  }

  /** Counts a response that lacks `field`, and returns the (retryable) error to throw for it. */
  #malformed(operation: string, field: string): KineError {
    if (!this.#o.signal?.aborted)
      this.#o.metrics.record('MalformedResponses', 1, 'Count', this.#dimensions)
    return malformedResponseError(operation, field, this.#what())
  }

  #what(): string {
    return this.#recovery.what()
  }

  /** The shard's last batch, with its children from the response or, failing that, ListShards. */
  async #endBatch(
    records: readonly KineRecord[],
    millisBehindLatest: number | undefined,
    output: GetRecordsCommandOutput,
  ): Promise<ShardBatch> {
    const childShards =
      childShardsFromResponse(output.ChildShards) ??
      (await this.#retrying('ListShards', () => this.#listChildren()))
    this.#log.info({ childShards: childShards.map((c) => c.shardId) }, 'shard ended')
    return { records, millisBehindLatest, shardEnded: true, childShards }
  }

  /** ListShards for the children, under a deadline. */
  #listChildren(): Promise<ChildShard[]> {
    const o = this.#o
    return this.#recovery.underDeadline(`ListShards for the children of ${o.shardId}`, (signal) =>
      listChildShards(o.client, {
        streamName: o.streamName,
        streamARN: o.streamARN,
        shardId: o.shardId,
        clock: o.clock,
        logger: this.#log,
        metrics: o.metrics,
        signal,
      }),
    )
  }

  /** Runs `call` until it succeeds, backing off on retryable failures. */
  #retrying<T>(operation: string, call: () => Promise<T>): Promise<T> {
    return this.#recovery.retrying(operation, call)
  }

  /** Acts on a failure (see {@link ReadRecovery.failed}). */
  #failed(operation: string, given: ReadVerdict, failures: number): Promise<number> {
    return this.#recovery.failed(operation, given, failures)
  }
}

/** Shorthand for `new ShardReader(options).read()`: validates `options` at once, reads lazily. */
export function readShard(
  options: ShardReaderOptions,
): AsyncGenerator<ShardBatch, void, undefined> {
  return new ShardReader(options).read()
}
