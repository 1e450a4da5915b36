// The Embedded Metric Format sink: the same aggregation as CloudWatchMetrics, written every flush
// interval as JSON lines to a writable (stdout by default), for CloudWatch Logs to turn into
// metrics (Lambda, ECS with the awslogs driver, the CloudWatch agent).

import type { MetricDimensions, MetricName, MetricUnit, MetricsSink } from '@kine/core'
import { OptionsValidator } from '@kine/core/lease-table'
import { writeEmfLines } from './emf-lines.js'
import { type MetricsOptions, resolveMetricsOptions } from './options.js'
import { SinkCore } from './sink-core.js'
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
  readonly #core: SinkCore
  #sent = 0
  #writeDropped = 0
  #lines = 0
  #failures = 0

  /** @throws InvalidConfigError (from @kine/core) listing every problem with `options`. */
  constructor(options: EmfMetricsOptions) {
    const validator = new OptionsValidator('EmfMetrics options', options)
    const resolved = resolveMetricsOptions(validator)
    validator.withMethods('output', ['write'], { optional: true }).throwIfInvalid()

    this.#namespace = resolved.namespace
    this.#output = options.output ?? process.stdout
    this.#core = new SinkCore(resolved, {
      tick: () => this.#write(),
      onClose: () => this.flush(),
    })
  }

  /** Folds one value into the current interval. Synchronous and cheap; never throws. */
  record(name: MetricName, value: number, unit: MetricUnit, dimensions: MetricDimensions): void {
    this.#core.record(name, value, unit, dimensions)
  }

  /** Writes everything buffered now. Never rejects. */
  flush(): Promise<void> {
    this.#write()
    return Promise.resolve()
  }

  /** Stops the flush timer and writes what is buffered. Values recorded afterwards are dropped. */
  close(): Promise<void> {
    return this.#core.close()
  }

  /** Counts of what happened to the values recorded so far. */
  stats(): MetricsStats {
    return this.#core.stats({
      sent: this.#sent,
      dropped: this.#writeDropped,
      inFlight: 0,
      requests: this.#lines,
      failures: this.#failures,
    })
  }

  #write(): void {
    const buffer = this.#core.buffer
    buffer.cut()
    const data = buffer.take(buffer.queued)
    this.#core.reportBufferDrops()
    if (data.length === 0) return
    writeEmfLines(this.#namespace, data, (line) => {
      try {
        this.#output.write(`${line.text}\n`)
        this.#sent += line.values
        this.#lines++
      } catch (error) {
        this.#failures++
        this.#writeDropped += line.values
        this.#core.warn(
          { err: error, values: line.values },
          'metrics dropped: EMF output write failed',
        )
      }
    })
  }
}
