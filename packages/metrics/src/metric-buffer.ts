// The aggregation both sinks share. record() folds a value into its series (metric name +
// dimension set + unit) for the current interval; cut() closes the interval, turning each series
// into one datum queued for sending; take() hands queued data to a sink. Series and queue
// together are bounded: when full, the oldest datum goes, counted.
//
// A series keeps its distinct values with their counts while it has at most 150 of them
// (CloudWatch's limit for Values/Counts in one datum): that keeps the distribution, so
// percentiles in CloudWatch stay meaningful, and kine's counts, sizes and integral latencies
// rarely exceed it in a minute. Past 150 it falls back to a statistic set (SampleCount, Sum,
// Minimum, Maximum), which is exact for everything but percentiles and costs constant memory.

import {
  type Clock,
  type MetricDimensionName,
  type MetricDimensions,
  type MetricName,
  type MetricUnit,
  METRICS,
} from '@kine/core'
import {
  MAX_ABS_VALUE,
  MAX_DIMENSION_VALUE_LENGTH,
  MAX_VALUES_PER_DATUM,
  MIN_ABS_VALUE,
} from './limits.js'
import type { Dimension, MetricsLevel } from './options.js'

/** One series' values over one interval. */
export interface AggregatedDatum {
  readonly name: string
  readonly unit: MetricUnit
  readonly dimensions: readonly Dimension[]
  /** Wall-clock milliseconds of the series' first value in the interval. */
  readonly timestamp: number
  readonly sampleCount: number
  readonly sum: number
  readonly min: number
  readonly max: number
  /**
   * The distinct values, with `counts` in the same order; `undefined` when there were more than
   * 150 distinct values and only the statistics above were kept.
   */
  readonly values: readonly number[] | undefined
  readonly counts: readonly number[] | undefined
}

interface MetricBufferOptions {
  readonly level: MetricsLevel
  /** Added to every kine metric (not to the mapbox/kine one). */
  readonly dimensions: readonly Dimension[]
  readonly mapboxKineStack: string | undefined
  readonly maxBufferedData: number
  readonly clock: Clock
}

const SEP = '\u0000'
const COMPAT_PREFIX = '\u0001'
const NO_DIMENSIONS: MetricDimensions = {}
const ALL_DIMENSIONS: readonly MetricDimensionName[] = ['StreamName', 'ShardId', 'WorkerId']

class Series {
  count = 0
  sum = 0
  min = Infinity
  max = -Infinity
  values: Map<number, number> | undefined = new Map()

  constructor(
    readonly name: string,
    readonly unit: MetricUnit,
    readonly dimensions: readonly Dimension[],
    readonly timestamp: number,
  ) {}

  add(value: number): void {
    this.count++
    this.sum += value
    if (value < this.min) this.min = value
    if (value > this.max) this.max = value
    const values = this.values
    if (values === undefined) return
    const seen = values.get(value)
    if (seen !== undefined) values.set(value, seen + 1)
    else if (values.size < MAX_VALUES_PER_DATUM) values.set(value, 1)
    else this.values = undefined
  }

  toDatum(): AggregatedDatum {
    const values = this.values === undefined ? undefined : [...this.values.keys()]
    const counts = this.values === undefined ? undefined : [...this.values.values()]
    return {
      name: this.name,
      unit: this.unit,
      dimensions: this.dimensions,
      timestamp: this.timestamp,
      sampleCount: this.count,
      sum: this.sum,
      min: this.min,
      max: this.max,
      values,
      counts,
    }
  }
}

/** True for a number CloudWatch accepts as a metric value. */
function isCloudWatchValue(value: number): boolean {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false
  const abs = Math.abs(value)
  return abs === 0 || (abs <= MAX_ABS_VALUE && abs >= MIN_ABS_VALUE)
}

/** Aggregates recorded values per interval into a bounded queue of data; see the file comment. */
export class MetricBuffer {
  readonly #level: MetricsLevel
  readonly #defaults: readonly Dimension[]
  readonly #stack: string | undefined
  readonly #max: number
  readonly #clock: Clock
  /** The dimensions each metric keeps at this level, worked out once. */
  readonly #kept = new Map<string, readonly MetricDimensionName[]>()
  readonly #keptUnknown: readonly MetricDimensionName[]
  #series = new Map<string, Series>()
  #queue: (AggregatedDatum | undefined)[] = []
  #head = 0
  #recorded = 0
  #dropped = 0
  #invalid = 0

  constructor(options: MetricBufferOptions) {
    this.#level = options.level
    this.#defaults = options.dimensions
    this.#stack = options.mapboxKineStack
    this.#max = options.maxBufferedData
    this.#clock = options.clock
    const keep = (d: MetricDimensionName): boolean => d !== 'ShardId' || this.#level === 'detailed'
    for (const [name, definition] of Object.entries(METRICS))
      this.#kept.set(name, definition.dimensions.filter(keep))
    // A name core does not know (a newer recorder, a plain-JS caller) keeps what it was given.
    this.#keptUnknown = ALL_DIMENSIONS.filter(keep)
  }

  /** Folds one value into its series. Synchronous, allocation-light, never throws. */
  record(name: MetricName, value: number, unit: MetricUnit, dimensions: MetricDimensions): void {
    if (!isCloudWatchValue(value)) {
      this.#invalid++
      return
    }
    const given = dimensions ?? NO_DIMENSIONS
    if (this.#level !== 'none') {
      const kept = this.#kept.get(name) ?? this.#keptUnknown
      let key = name + SEP + unit
      for (let i = 0; i < kept.length; i++) key += SEP + keyPart(given[kept[i]!])
      const series =
        this.#series.get(key) ??
        this.#open(key, name, unit, kineDimensions(this.#defaults, kept, given))
      series.add(value)
      this.#recorded++
    }
    if (this.#stack !== undefined && name === 'ShardIteratorAgeInMs') {
      const key =
        COMPAT_PREFIX + unit + SEP + keyPart(given.StreamName) + SEP + keyPart(given.ShardId)
      const series =
        this.#series.get(key) ??
        this.#open(key, name, unit, mapboxKineDimensions(this.#stack, given))
      series.add(value)
      this.#recorded++
    }
  }

  /** Ends the interval: every series becomes one queued datum. */
  cut(): void {
    if (this.#series.size === 0) return
    for (const series of this.#series.values()) this.#queue.push(series.toDatum())
    this.#series = new Map()
  }

  /** Removes and returns up to `max` queued data, oldest first. */
  take(max: number): AggregatedDatum[] {
    const out: AggregatedDatum[] = []
    while (out.length < max && this.#head < this.#queue.length) {
      out.push(this.#queue[this.#head]!)
      this.#queue[this.#head++] = undefined
    }
    this.#compact()
    return out
  }

  /** Data held: open series plus queued data. */
  get size(): number {
    return this.#series.size + this.#queue.length - this.#head
  }

  /** Data cut and waiting to be taken. */
  get queued(): number {
    return this.#queue.length - this.#head
  }

  /** Values held in open series and queued data. */
  get bufferedValues(): number {
    let n = 0
    for (const series of this.#series.values()) n += series.count
    for (let i = this.#head; i < this.#queue.length; i++) n += this.#queue[i]!.sampleCount
    return n
  }

  /** Values accepted (a `ShardIteratorAgeInMs` value counts twice with `mapboxKineStack`). */
  get recorded(): number {
    return this.#recorded
  }

  /** Values dropped because the buffer was full. */
  get dropped(): number {
    return this.#dropped
  }

  /** Values refused: not finite, or outside the range CloudWatch accepts. */
  get invalid(): number {
    return this.#invalid
  }

  #open(key: string, name: string, unit: MetricUnit, dimensions: readonly Dimension[]): Series {
    if (this.size >= this.#max) this.#dropOldest()
    const series = new Series(name, unit, dimensions, this.#clock.wallNow())
    this.#series.set(key, series)
    return series
  }

  #dropOldest(): void {
    if (this.#head < this.#queue.length) {
      this.#dropped += this.#queue[this.#head]!.sampleCount
      this.#queue[this.#head++] = undefined
      this.#compact()
      return
    }
    for (const [key, series] of this.#series) {
      this.#dropped += series.count
      this.#series.delete(key)
      return
    }
  }

  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue = []
      this.#head = 0
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head)
      this.#head = 0
    }
  }
}

function keyPart(value: string | undefined): string {
  // Length-prefixed, so no dimension value can make two series' keys collide.
  return value === undefined || value === '' ? '' : `${value.length}:${value}`
}

function kineDimensions(
  defaults: readonly Dimension[],
  kept: readonly MetricDimensionName[],
  given: MetricDimensions,
): Dimension[] {
  const dimensions = [...defaults]
  for (const name of kept) {
    const value = given[name]
    // CloudWatch refuses an empty dimension value: a dimension the recorder did not know is left out.
    if (value !== undefined && value !== '') dimensions.push({ Name: name, Value: clip(value) })
  }
  return dimensions
}

function mapboxKineDimensions(stack: string, given: MetricDimensions): Dimension[] {
  const dimensions: Dimension[] = []
  if (given.StreamName) dimensions.push({ Name: 'DeliveryStream', Value: clip(given.StreamName) })
  if (given.ShardId) dimensions.push({ Name: 'ShardId', Value: clip(given.ShardId) })
  dimensions.push({ Name: 'Stack', Value: stack })
  return dimensions
}

function clip(value: string): string {
  return value.length > MAX_DIMENSION_VALUE_LENGTH
    ? value.slice(0, MAX_DIMENSION_VALUE_LENGTH)
    : value
}
