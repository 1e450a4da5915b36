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
export { backoffDelay, DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_CAP_MS, type BackoffOptions } from './backoff.js'
export {
  awsErrorName,
  isThrottleError,
  isRetryableAwsError,
  isAccessDeniedError,
  isResourceNotFoundError,
  toKineError,
} from './aws-errors.js'
export { listShards, DEFAULT_LIST_SHARDS_PAGE_SIZE, type ListShardsOptions } from './list-shards.js'
export { sendOptions } from './send-options.js'
export { consoleLogger, type ConsoleLoggerOptions, type LogLevel } from './console-logger.js'
