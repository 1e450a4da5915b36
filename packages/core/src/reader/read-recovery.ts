// What a shard reader (polling or fan-out) does once a call about its shard has failed: stop on
// abort, fail on what retrying cannot fix, check a "not found" against a complete ListShards, or
// wait out a jittered backoff and try again. One implementation, so both readers give up, retry
// and log the same way.

import type { KinesisClient } from '@aws-sdk/client-kinesis'
import { withDeadline } from '../abort.js'
import { toKineError } from '../aws-errors.js'
import { backoffDelay } from '../backoff.js'
import { abortReason, type Clock } from '../clock.js'
import { isKineError, ResourceNotFoundError } from '../errors.js'
import { listShards } from '../list-shards.js'
import type { Logger } from '../logger.js'
import type { MetricsSink } from '../metrics.js'
import { classifyReadError, type FinalVerdict, type ReadVerdict } from './retry-policy.js'
import { notFoundVerdict } from './shard-not-found.js'

/** What the recovery needs to know about the reader it serves. */
export interface ReadRecoveryContext {
  readonly client: KinesisClient
  readonly streamName: string | undefined
  readonly streamARN: string | undefined
  /** The stream name for messages. */
  readonly streamLabel: string
  readonly shardId: string
  readonly requestTimeoutMs: number
  readonly retryBaseDelayMs: number
  readonly retryMaxDelayMs: number
  readonly maxRetries: number
  readonly clock: Clock
  readonly metrics: MetricsSink
  readonly signal: AbortSignal | undefined
  readonly random: () => number
  /** The reader's logger (already carrying the stream and shard). */
  readonly log: Logger
}

/** Backoff, retry and the shard-missing check for one shard reader. */
export class ReadRecovery {
  readonly #c: ReadRecoveryContext

  constructor(context: ReadRecoveryContext) {
    this.#c = context
  }

  /** `shard X of stream "Y"`, for messages. */
  what(): string {
    return `shard ${this.#c.shardId} of stream "${this.#c.streamLabel}"`
  }

  /** The reader's verdict on `error` (classified for this shard and signal). */
  classify(error: unknown): ReadVerdict {
    const c = this.#c
    return classifyReadError(error, c.streamLabel, c.shardId, c.signal)
  }

  /** Runs `call` until it succeeds, backing off on retryable failures. */
  async retrying<T>(operation: string, call: () => Promise<T>): Promise<T> {
    let failures = 0
    for (;;) {
      try {
        return await call()
      } catch (error) {
        const verdict = this.classify(error)
        failures = await this.failed(
          operation,
          verdict.action === 'renew-iterator'
            ? { ...verdict, action: 'retry', throttled: false }
            : verdict,
          failures,
        )
      }
    }
  }

  /**
   * Runs `call` (a listing that retries inside) with a signal that aborts with the reader's, or
   * after twice the request timeout: a hung call must not stall the reader.
   */
  underDeadline<T>(what: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const c = this.#c
    return withDeadline(
      { clock: c.clock, timeoutMs: 2 * c.requestTimeoutMs, what, signal: c.signal },
      call,
    )
  }

  /**
   * Acts on a failure: throws for an abort or a permanent error, else waits out the backoff and
   * returns the new count of consecutive failures.
   */
  async failed(operation: string, given: ReadVerdict, failures: number): Promise<number> {
    const c = this.#c
    const verdict =
      given.action === 'check-shard' ? await this.#checkShard(operation, given.cause) : given
    switch (verdict.action) {
      case 'abort':
        throw abortReason(c.signal)
      case 'fail':
        c.log.error({ err: verdict.error, operation }, 'shard read failed')
        throw verdict.error
      case 'retry':
      case 'renew-iterator': {
        const count = failures + 1
        if (count > c.maxRetries) {
          c.log.error(
            { err: verdict.error, operation, failures: count },
            'shard read gave up retrying',
          )
          throw verdict.error
        }
        const delay = backoffDelay(count - 1, {
          baseMs: c.retryBaseDelayMs,
          capMs: c.retryMaxDelayMs,
          random: c.random,
        })
        const level = verdict.action === 'retry' && verdict.throttled ? 'debug' : 'warn'
        c.log[level](
          { err: verdict.error, operation, failures: count, delayMs: Math.round(delay) },
          verdict.error.code === 'MALFORMED_RESPONSE'
            ? `malformed ${operation} response, retrying`
            : `${operation} failed, retrying`,
        )
        await c.clock.sleep(delay, c.signal)
        return count
      }
    }
  }

  /**
   * Decides what a ResourceNotFoundException from `operation` means, from a complete, unfiltered
   * ListShards: the stream missing (`STREAM_NOT_FOUND`), the shard not listed (`SHARD_NOT_FOUND`,
   * aged out: its lease can end), or the shard listed after all: a fault, retried.
   */
  async #checkShard(operation: string, cause: unknown): Promise<FinalVerdict> {
    const c = this.#c
    const detail = cause instanceof Error ? cause.message : String(cause)
    let shards
    try {
      shards = await this.underDeadline(`ListShards to check shard ${c.shardId}`, (signal) =>
        listShards(c.client, {
          ...(c.streamName !== undefined ? { streamName: c.streamName } : {}),
          ...(c.streamARN !== undefined ? { streamARN: c.streamARN } : {}),
          clock: c.clock,
          logger: c.log,
          metrics: c.metrics,
          signal,
        }),
      )
    } catch (error) {
      if (c.signal?.aborted) return { action: 'abort' }
      if (isKineError(error) && error.code === 'STREAM_NOT_FOUND') {
        return {
          action: 'fail',
          error: new ResourceNotFoundError(
            'STREAM_NOT_FOUND',
            `stream "${c.streamLabel}" does not exist (${operation} on shard ${c.shardId}: ${detail})`,
            { cause },
          ),
        }
      }
      const listError = toKineError(error, `stream "${c.streamLabel}"`)
      return listError.retryable
        ? { action: 'retry', error: listError, throttled: false }
        : { action: 'fail', error: listError }
    }
    return notFoundVerdict(shards, {
      shardId: c.shardId,
      operation,
      what: this.what(),
      detail,
      cause,
    })
  }
}
