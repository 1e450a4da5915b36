// The PutMetricData sink: record() folds values into the shared buffer; every flush interval the
// buffer is cut and its data sent in the background, one request at a time, through the app's
// CloudWatchClient. A failed request is retried with backoff a bounded number of times, then its
// data are dropped with a warning and counted; nothing here ever rejects or throws at the caller.

import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch'
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch'
import type { Clock, MetricDimensions, MetricName, MetricUnit, MetricsSink } from '@kine/core'
import {
  awsErrorName,
  backoffDelay,
  isRetryableAwsError,
  OptionsValidator,
  toKineError,
} from '@kine/core/lease-table'
import { MAX_DATA_PER_REQUEST } from './limits.js'
import { type MetricsOptions, resolveMetricsOptions } from './options.js'
import {
  buildPutMetricDataRequests,
  type PutMetricDataRequest,
} from './put-metric-data-requests.js'
import { SinkCore } from './sink-core.js'
import type { MetricsStats } from './stats.js'

/** Options of {@link CloudWatchMetrics}. */
export interface CloudWatchMetricsOptions extends MetricsOptions {
  /** The app's client. The sink only calls `send`; it never configures or destroys it. */
  readonly cloudwatch: CloudWatchClient
  /**
   * Retries of a failed PutMetricData request (throttling, 5xx, network errors), on top of the
   * client's own, before its data are dropped. Other errors drop at once.
   * @defaultValue `3`
   */
  readonly maxRetries?: number
  /**
   * Milliseconds before the first retry; each further retry waits twice as long (up to 30 s),
   * with jitter.
   * @defaultValue `1_000`
   */
  readonly retryBaseDelayMs?: number
}

/** Default of {@link CloudWatchMetricsOptions.maxRetries}. */
export const DEFAULT_MAX_RETRIES = 3
/** Default of {@link CloudWatchMetricsOptions.retryBaseDelayMs}, in milliseconds. */
export const DEFAULT_RETRY_BASE_DELAY_MS = 1_000
const MAX_RETRY_DELAY_MS = 30_000

/**
 * A {@link MetricsSink} that sends kine's metrics to CloudWatch with PutMetricData, aggregated
 * per flush interval.
 *
 * @example
 * ```ts
 * const metrics = new CloudWatchMetrics({ cloudwatch: new CloudWatchClient({}), namespace: 'Orders' })
 * // pass `metrics` to the worker and Sync; on shutdown:
 * await metrics.close()
 * ```
 */
export class CloudWatchMetrics implements MetricsSink {
  readonly #client: CloudWatchClient
  readonly #namespace: string
  readonly #maxRetries: number
  readonly #retryBaseDelayMs: number
  readonly #clock: Clock
  readonly #core: SinkCore
  #sending: Promise<void> | undefined
  #inFlight = 0
  #sent = 0
  #sendDropped = 0
  #requests = 0
  #failures = 0

  /** @throws InvalidConfigError (from @kine/core) listing every problem with `options`. */
  constructor(options: CloudWatchMetricsOptions) {
    const validator = new OptionsValidator('CloudWatchMetrics options', options)
    const resolved = resolveMetricsOptions(validator)
    validator
      .withMethods('cloudwatch', ['send'])
      .nonNegativeInteger('maxRetries', { optional: true })
      .number('retryBaseDelayMs', { min: 0, optional: true })
      .throwIfInvalid()

    this.#client = options.cloudwatch
    this.#namespace = resolved.namespace
    this.#maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES
    this.#retryBaseDelayMs = options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS
    this.#clock = resolved.clock
    this.#core = new SinkCore(resolved, {
      tick: () => {
        this.#cut()
        void this.#drain()
      },
      onClose: () => this.#flush(),
    })
  }

  /** Folds one value into the current interval. Synchronous and cheap; never throws. */
  record(name: MetricName, value: number, unit: MetricUnit, dimensions: MetricDimensions): void {
    this.#core.record(name, value, unit, dimensions)
  }

  /** Sends everything buffered now; resolves once it was sent or dropped. Never rejects. */
  flush(): Promise<void> {
    return this.#flush()
  }

  /**
   * Stops the flush timer, sends what is buffered (with the usual retries) and resolves once done.
   * Values recorded afterwards are dropped. Never rejects; the client is left open.
   */
  close(): Promise<void> {
    return this.#core.close()
  }

  /** Counts of what happened to the values recorded so far. */
  stats(): MetricsStats {
    return this.#core.stats({
      sent: this.#sent,
      dropped: this.#sendDropped,
      inFlight: this.#inFlight,
      requests: this.#requests,
      failures: this.#failures,
    })
  }

  async #flush(): Promise<void> {
    this.#cut()
    // A drain already under way may have passed the data just cut: go again until none are
    // queued. (Values recorded meanwhile wait for the next interval, so this always ends.)
    do await this.#drain()
    while (this.#core.buffer.queued > 0)
  }

  #cut(): void {
    this.#core.buffer.cut()
    this.#core.reportBufferDrops({ namespace: this.#namespace })
  }

  #drain(): Promise<void> {
    this.#sending ??= this.#sendQueued()
      .catch((error: unknown) => {
        // #sendQueued handles every failure itself; this only keeps a bug from going unhandled.
        this.#core.warn({ err: error }, 'metrics: unexpected error while sending')
      })
      .finally(() => {
        this.#sending = undefined
      })
    return this.#sending
  }

  async #sendQueued(): Promise<void> {
    for (;;) {
      const data = this.#core.buffer.take(MAX_DATA_PER_REQUEST)
      if (data.length === 0) return
      const requests = buildPutMetricDataRequests(this.#namespace, data)
      for (const request of requests) this.#inFlight += request.values
      for (const request of requests) {
        try {
          await this.#send(request)
        } catch {
          // Only a throwing logger gets here; the request's values still must be accounted for.
          this.#sendDropped += request.values
        } finally {
          this.#inFlight -= request.values
        }
      }
    }
  }

  async #send(request: PutMetricDataRequest): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#client.send(new PutMetricDataCommand(request.input))
        this.#sent += request.values
        this.#requests++
        return
      } catch (error) {
        this.#failures++
        // CloudWatch names its throttle `Throttling` (HTTP 400), unlike Kinesis and DynamoDB.
        const retryable = isRetryableAwsError(error) || awsErrorName(error) === 'Throttling'
        if (!retryable || attempt >= this.#maxRetries) {
          this.#sendDropped += request.values
          this.#core.warn(
            {
              err: toKineError(error, `PutMetricData (namespace ${this.#namespace})`),
              attempts: attempt + 1,
              data: request.input.MetricData?.length ?? 0,
              values: request.values,
            },
            'metrics dropped: PutMetricData failed',
          )
          return
        }
        const delay = backoffDelay(attempt, {
          baseMs: this.#retryBaseDelayMs,
          capMs: MAX_RETRY_DELAY_MS,
        })
        this.#core.logger.debug(
          { err: error, attempt: attempt + 1, delay },
          'PutMetricData failed; retrying',
        )
        await this.#clock.sleep(delay)
      }
    }
  }
}
