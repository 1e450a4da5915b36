// @kine/core: shard reading and the contracts every kine package shares. Every export here is in
// the README; what only kine's own packages and tools need is in `@kine/core/lease-table`.
export { compareSequenceNumbers, comparePositions, type RecordPosition } from './sequence-number.js'
export {
  KINE_ERROR_CODES,
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
export { systemClock, ManualClock, type Clock } from './clock.js'
export { silentLogger, type Logger, type LogFn } from './logger.js'
export { consoleLogger, type ConsoleLoggerOptions, type LogLevel } from './console-logger.js'
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
export { ShardReader, readShard, type ShardBatch } from './reader/shard-reader.js'
export { type ShardReaderOptions } from './reader/shard-reader-options.js'
export { type ShardPosition } from './reader/iterator-position.js'
export { type ChildShard } from './reader/child-shards.js'
export { type ReaderLimits } from './reader/throttle.js'
export type { KineRecord } from './record.js'
export { listShards, type ListShardsOptions } from './list-shards.js'
export { describeStreamSummary, type DescribeStreamSummaryOptions } from './describe-stream.js'
export { deaggregate, type KinesisRecordLike } from './kpl-deaggregate.js'
export { partitionKeyHashKey, type HashKeyRange } from './hash-key.js'
export {
  InvalidLeaseItemError,
  type Lease,
  type Checkpoint,
  type CheckpointSentinel,
} from './lease-item.js'
export type { InitialPosition } from './initial-position.js'
export {
  ensureLeaseTable,
  type EnsureLeaseTableOptions,
  type EnsureLeaseTableResult,
} from './lease-table.js'
export { scanLeases, type LeaseScan, type ScanLeasesOptions } from './scan-leases.js'
export { FanOutShardReader } from './reader/fan-out/fan-out-shard-reader.js'
export type { FanOutShardReaderOptions } from './reader/fan-out/fan-out-reader-options.js'
export {
  ensureStreamConsumer,
  listStreamConsumers,
  deregisterStreamConsumer,
  type StreamConsumer,
  type StreamConsumerCallOptions,
  type EnsureStreamConsumerOptions,
  type EnsuredStreamConsumer,
  type ListStreamConsumersOptions,
  type DeregisterStreamConsumerOptions,
} from './stream-consumers.js'
