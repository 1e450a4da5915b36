// The options both sinks share, their defaults, and the up-front validation (core's
// OptionsValidator: one InvalidConfigError listing every problem), so a misconfigured sink fails
// at construction, never later on the record-processing path.

import { type Clock, type Logger, METRICS, silentLogger } from '@kine/core'
import { backgroundClock, type OptionsValidator } from '@kine/core/lease-table'

import { MAX_DIMENSION_VALUE_LENGTH, MAX_DIMENSIONS, MAX_NAME_LENGTH } from './limits.js'

/**
 * How much kine reports.
 * - `none`: nothing of kine's own metrics (the `mapboxKineStack` metric still, if set);
 * - `summary`: every metric without its `ShardId` dimension, so it aggregates per stream or worker;
 * - `detailed`: every metric with all its dimensions (one CloudWatch metric per shard).
 */
export type MetricsLevel = 'none' | 'summary' | 'detailed'

/** Options both sinks take. */
export interface MetricsOptions {
  /** The CloudWatch namespace, e.g. `MyApp/Kinesis` (must not start with `AWS/`). */
  readonly namespace: string
  /**
   * Dimensions added to every metric, e.g. `{ App: 'orders', Stack: 'production' }`.
   * CloudWatch allows 30 per metric, and kine adds up to 3 of its own.
   * @defaultValue `{}`
   */
  readonly dimensions?: Readonly<Record<string, string>>
  /** @defaultValue `'summary'` */
  readonly level?: MetricsLevel
  /**
   * Milliseconds between two sends. Values recorded in one interval are aggregated into one
   * datum per metric, dimensions and unit.
   * @defaultValue `60_000` (CloudWatch's standard resolution)
   */
  readonly flushIntervalMs?: number
  /**
   * Most aggregated data held, waiting for the next flush or for a send to succeed. When full,
   * the oldest datum is dropped (and counted in `stats().dropped`).
   * @defaultValue `10_000`
   */
  readonly maxBufferedData?: number
  /**
   * For users of mapbox/kine: its `cloudwatchStackname`. When set, `ShardIteratorAgeInMs` is also
   * reported the way the original reported it, with the dimensions `DeliveryStream` (the stream
   * name), `ShardId` and `Stack` (this value) and without `dimensions`, whatever the `level`, so
   * existing dashboards and alarms keep working.
   * @defaultValue `undefined` (not reported)
   */
  readonly mapboxKineStack?: string
  /** Where failed sends are reported (structured fields). @defaultValue silent */
  readonly logger?: Logger
  /**
   * Timers for the flush interval and retry waits.
   * @defaultValue the system clock, with timers that never keep the process alive
   */
  readonly clock?: Clock
  /** Aborting it closes the sink, as `close()` does. @defaultValue none */
  readonly signal?: AbortSignal
}

/** Default of {@link MetricsOptions.level}. */
const DEFAULT_LEVEL: MetricsLevel = 'summary'
/** Default of {@link MetricsOptions.flushIntervalMs}, in milliseconds. */
const DEFAULT_FLUSH_INTERVAL_MS = 60_000
/** Default of {@link MetricsOptions.maxBufferedData}. */
const DEFAULT_MAX_BUFFERED_DATA = 10_000

/** One CloudWatch dimension. */
export interface Dimension {
  readonly Name: string
  readonly Value: string
}

/** Options with every default applied. */
export interface ResolvedMetricsOptions {
  readonly namespace: string
  readonly dimensions: readonly Dimension[]
  readonly level: MetricsLevel
  readonly flushIntervalMs: number
  readonly maxBufferedData: number
  readonly mapboxKineStack: string | undefined
  readonly logger: Logger
  readonly clock: Clock
  readonly signal: AbortSignal | undefined
}

/** The dimension names kine itself sets; a default dimension may not reuse them. */
const KINE_DIMENSIONS: readonly string[] = ['StreamName', 'ShardId', 'WorkerId']
/** kine adds at most this many dimensions of its own to a metric. */
const KINE_DIMENSION_COUNT = KINE_DIMENSIONS.length

const LEVELS: readonly MetricsLevel[] = ['none', 'summary', 'detailed']

/**
 * Checks the shared options with `validator` (the caller adds its own checks and throws one
 * InvalidConfigError listing every problem) and applies their defaults.
 */
export function resolveMetricsOptions(validator: OptionsValidator): ResolvedMetricsOptions {
  const v = validator
  v.nonEmptyString('namespace')
    .oneOf('level', LEVELS, { optional: true })
    .number('flushIntervalMs', { min: 1, optional: true })
    .positiveInteger('maxBufferedData', { optional: true })
    .nonEmptyString('mapboxKineStack', { optional: true })
    .withMethods('logger', ['warn', 'debug'], { optional: true })
    .withMethods('clock', ['now', 'wallNow', 'sleep'], { optional: true })
    .abortSignal('signal', { optional: true })

  const namespace = v.value('namespace')
  if (typeof namespace === 'string' && namespace !== '') {
    v.check(namespace.length <= MAX_NAME_LENGTH, `namespace: at most ${MAX_NAME_LENGTH} characters`)
    v.check(
      !namespace.startsWith('AWS/'),
      'namespace: must not start with "AWS/" (reserved for AWS)',
    )
    v.check(isPrintableAscii(namespace), 'namespace: must be printable ASCII')
  }

  const dimensions: Dimension[] = []
  const given = v.value('dimensions')
  if (
    given !== undefined &&
    (typeof given !== 'object' || given === null || Array.isArray(given))
  ) {
    v.add('dimensions: expected an object of dimension names to values')
  } else {
    for (const [name, value] of Object.entries(given ?? {})) {
      const problem = dimensionProblem(name, value)
      if (problem !== undefined) v.add(`dimensions.${name}: ${problem}`)
      else if (KINE_DIMENSIONS.includes(name))
        v.add(`dimensions.${name}: kine sets ${name} itself; choose another name`)
      else if (Object.hasOwn(METRICS, name))
        // In an EMF line dimensions and metrics are members of one object: names must differ.
        v.add(`dimensions.${name}: is the name of a kine metric; choose another name`)
      else dimensions.push({ Name: name, Value: value as string })
    }
  }
  v.check(
    dimensions.length + KINE_DIMENSION_COUNT <= MAX_DIMENSIONS,
    `dimensions: at most ${MAX_DIMENSIONS - KINE_DIMENSION_COUNT} (CloudWatch allows ${MAX_DIMENSIONS} per metric and kine adds up to ${KINE_DIMENSION_COUNT}), got ${dimensions.length}`,
  )

  const stack = v.value('mapboxKineStack')
  if (typeof stack === 'string' && stack !== '') {
    const problem = dimensionProblem('Stack', stack)
    if (problem !== undefined) v.add(`mapboxKineStack: ${problem}`)
  }

  const options = (key: keyof MetricsOptions): unknown => v.value(key)
  return {
    namespace: typeof namespace === 'string' ? namespace : '',
    dimensions,
    level: (options('level') as MetricsLevel | undefined) ?? DEFAULT_LEVEL,
    flushIntervalMs:
      (options('flushIntervalMs') as number | undefined) ?? DEFAULT_FLUSH_INTERVAL_MS,
    maxBufferedData:
      (options('maxBufferedData') as number | undefined) ?? DEFAULT_MAX_BUFFERED_DATA,
    mapboxKineStack: stack as string | undefined,
    logger: (options('logger') as Logger | undefined) ?? silentLogger,
    clock: (options('clock') as Clock | undefined) ?? backgroundClock,
    signal: options('signal') as AbortSignal | undefined,
  }
}

function dimensionProblem(name: string, value: unknown): string | undefined {
  if (name.trim() === '' || name.length > MAX_NAME_LENGTH)
    return `a dimension name has 1 to ${MAX_NAME_LENGTH} characters, not only spaces`
  if (!isPrintableAscii(name) || name.startsWith(':'))
    return 'a dimension name is printable ASCII and does not start with ":"'
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_DIMENSION_VALUE_LENGTH)
    return `expected a string of 1 to ${MAX_DIMENSION_VALUE_LENGTH} characters, not only spaces`
  return undefined
}

function isPrintableAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text)
}
