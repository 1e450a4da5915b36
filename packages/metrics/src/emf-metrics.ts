// The Embedded Metric Format sink: the same aggregation as CloudWatchMetrics, written every flush
// interval as JSON lines to a writable (stdout by default), for CloudWatch Logs to turn into
// metrics (Lambda, ECS with the awslogs driver, the CloudWatch agent).

import type { Logger, MetricDimensions, MetricName, MetricUnit, MetricsSink } from '@kine/core'
import { OptionsValidator } from '@kine/core'
import { writeEmfLines } from './emf-lines.js'
import { FlushLoop } from './flush-loop.js'
import { MetricBuffer } from './metric-buffer.js'
import { type MetricsOptions, resolveMetricsOptions } from './options.js'
import type { MetricsStats } from './stats.js'

/** Where EMF lines go: a Node writable, or anything with a `write(text)` method. */
export interface EmfOutput {
  write(text: string): unknown
}

/** Options of {@link EmfMetrics}. */
export interface EmfMetricsOptions extends MetricsOptions {
  /** Receives each line, newline included. @defaultValue `process.stdout` */
  readonly output?: EmfOutput
}

/**
 * A {@link MetricsSink} that writes kine's metrics as CloudWatch Embedded Metric Format lines,
 * aggregated per flush interval.
 *
 * @example
 * ```ts
 * const metrics = new EmfMetrics({ namespace: 'Orders' }) // lines on stdout
 * ```
 */
export class EmfMetrics implements MetricsSink {
  readonly #namespace: string
  readonly #output: EmfOutput
  readonly #logger: Logger
  readonly #buffer: MetricBuffer
  readonly #loop: FlushLoop
  #sent = 0
  #writeDropped = 0
  #afterClose = 0
  #lines = 0
  #failures = 0
  #bufferDropsReported = 0

  /** @throws InvalidConfigError (from @kine/core) listing every problem with `options`. */
  constructor(options: EmfMetricsOptions) {
    const validator = new OptionsValidator('EmfMetrics options', options)
    const resolved = resolveMetricsOptions(validator)
    validator.withMethods('output', ['write'], { optional: true }).throwIfInvalid()

    this.#namespace = resolved.namespace
    this.#output = options.output ?? process.stdout
    this.#logger = resolved.logger
    this.#buffer = new MetricBuffer(resolved)
    this.#loop = new FlushLoop({
      clock: resolved.clock,
      interval: resolved.flushInterval,
      signal: resolved.signal,
      tick: () => this.#write(),
      onClose: () => this.flush(),
    })
  }

  /** Folds one value into the current interval. Synchronous and cheap; never throws. */
  record(name: MetricName, value: number, unit: MetricUnit, dimensions: MetricDimensions): void {
    if (this.#loop.closed) {
      this.#afterClose++
      return
    }
    try {
      this.#buffer.record(name, value, unit, dimensions)
    } catch {
      // Unreachable with well-typed input; a metric must never break record processing.
    }
  }

  /** Writes everything buffered now. Never rejects. */
  flush(): Promise<void> {
    this.#write()
    return Promise.resolve()
  }

  /** Stops the flush timer and writes what is buffered. Values recorded afterwards are dropped. */
  close(): Promise<void> {
    return this.#loop.close()
  }

  /** Counts of what happened to the values recorded so far. */
  stats(): MetricsStats {
    return {
      recorded: this.#buffer.recorded + this.#afterClose,
      sent: this.#sent,
      dropped: this.#buffer.dropped + this.#writeDropped + this.#afterClose,
      buffered: this.#buffer.bufferedValues,
      invalid: this.#buffer.invalid,
      requests: this.#lines,
      failures: this.#failures,
    }
  }

  #write(): void {
    this.#buffer.cut()
    const data = this.#buffer.take(this.#buffer.queued)
    if (this.#buffer.dropped > this.#bufferDropsReported) {
      this.#warn(
        { dropped: this.#buffer.dropped - this.#bufferDropsReported },
        'metrics buffer full: oldest data dropped',
      )
      this.#bufferDropsReported = this.#buffer.dropped
    }
    if (data.length === 0) return
    writeEmfLines(this.#namespace, data, (line) => {
      try {
        this.#output.write(`${line.text}\n`)
        this.#sent += line.values
        this.#lines++
      } catch (error) {
        this.#failures++
        this.#writeDropped += line.values
        this.#warn({ err: error, values: line.values }, 'metrics dropped: EMF output write failed')
      }
    })
  }

  #warn(fields: Record<string, unknown>, message: string): void {
    try {
      this.#logger.warn(fields, message)
    } catch {
      // A broken logger must not stop the metrics from being written or counted.
    }
  }
}
