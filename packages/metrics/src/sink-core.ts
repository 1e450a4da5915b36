// What both sinks share around their one difference (how a cut interval leaves the process): the
// buffer and the flush loop, record() and close(), values recorded after close, reporting the
// buffer's drops once each, the stats they add up to, and a logger that may never throw at them.

import type { Logger, MetricDimensions, MetricName, MetricUnit } from '@kine/core'
import { FlushLoop, type FlushLoopOptions } from './flush-loop.js'
import { MetricBuffer } from './metric-buffer.js'
import type { ResolvedMetricsOptions } from './options.js'
import type { MetricsStats } from './stats.js'

/** A sink's own counts, which {@link SinkCore.stats} adds to the buffer's. */
interface SinkCounts {
  /** Values delivered. */
  readonly sent: number
  /** Values the sink failed to deliver. */
  readonly dropped: number
  /** Values taken from the buffer and not yet sent or dropped. */
  readonly inFlight: number
  /** Successful sends (requests or lines). */
  readonly requests: number
  /** Failed sends. */
  readonly failures: number
}

/** The buffer, flush loop and bookkeeping of a sink; the sink sends what `buffer` holds. */
export class SinkCore {
  /** What record() folded in, for the sink to cut and take. */
  readonly buffer: MetricBuffer
  /** The sink's logger (use {@link SinkCore.warn} for warnings). */
  readonly logger: Logger
  readonly #loop: FlushLoop
  #afterClose = 0
  #bufferDropsReported = 0

  constructor(resolved: ResolvedMetricsOptions, hooks: Pick<FlushLoopOptions, 'tick' | 'onClose'>) {
    this.logger = resolved.logger
    this.buffer = new MetricBuffer(resolved)
    this.#loop = new FlushLoop({
      clock: resolved.clock,
      interval: resolved.flushIntervalMs,
      signal: resolved.signal,
      tick: hooks.tick,
      onClose: hooks.onClose,
    })
  }

  /** Folds one value into the current interval, or counts it dropped once closed. Never throws. */
  record(name: MetricName, value: number, unit: MetricUnit, dimensions: MetricDimensions): void {
    if (this.#loop.closed) {
      this.#afterClose++
      return
    }
    try {
      this.buffer.record(name, value, unit, dimensions)
    } catch {
      // Unreachable with well-typed input; a metric must never break record processing.
    }
  }

  /** Stops the flush loop and runs the sink's final flush. Idempotent. */
  close(): Promise<void> {
    return this.#loop.close()
  }

  /** Warns once about the data the full buffer dropped since the last call, with `fields`. */
  reportBufferDrops(fields: Record<string, unknown> = {}): void {
    const dropped = this.buffer.dropped
    if (dropped > this.#bufferDropsReported) {
      this.warn(
        { dropped: dropped - this.#bufferDropsReported, ...fields },
        'metrics buffer full: oldest data dropped',
      )
      this.#bufferDropsReported = dropped
    }
  }

  /** The sink's stats: the buffer's counts plus the sink's own. */
  stats(own: SinkCounts): MetricsStats {
    return {
      recorded: this.buffer.recorded + this.#afterClose,
      sent: own.sent,
      dropped: this.buffer.dropped + own.dropped + this.#afterClose,
      buffered: this.buffer.bufferedValues + own.inFlight,
      invalid: this.buffer.invalid,
      requests: own.requests,
      failures: own.failures,
    }
  }

  /** Logs a warning. Never throws. */
  warn(fields: Record<string, unknown>, message: string): void {
    try {
      this.logger.warn(fields, message)
    } catch {
      // A broken logger must not stop the metrics from being sent or counted.
    }
  }
}
