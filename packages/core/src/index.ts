// @kine/core: shard reading and the contracts every kine package shares.
export { compareSequenceNumbers, comparePositions, type RecordPosition } from './sequence-number.js'
export {
  KineError,
  InvalidConfigError,
  ThrottledError,
  ResourceNotFoundError,
  AccessDeniedError,
  LeaseLostError,
  AbortedError,
  isKineError,
  type KineErrorCode,
  type KineErrorOptions,
} from './errors.js'
export { systemClock, ManualClock, abortReason, type Clock } from './clock.js'
export { silentLogger, type Logger, type LogFn } from './logger.js'
export {
  METRICS,
  noopMetrics,
  type MetricsSink,
  type MetricName,
  type MetricUnit,
  type MetricDimensions,
  type MetricDimensionName,
  type MetricDefinition,
} from './metrics.js'
export type { KineRecord } from './record.js'
