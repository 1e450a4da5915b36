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
export { systemClock, backgroundClock, ManualClock, abortReason, type Clock } from './clock.js'
export { raceAbort, withDeadline, type DeadlineOptions } from './abort.js'
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
export {
  backoffDelay,
  DEFAULT_BACKOFF_BASE_MS,
  DEFAULT_BACKOFF_CAP_MS,
  type BackoffOptions,
} from './backoff.js'
export {
  awsErrorName,
  isThrottleError,
  isRetryableAwsError,
  isAccessDeniedError,
  isResourceNotFoundError,
  toKineError,
  malformedResponseError,
} from './aws-errors.js'
export { listShards, DEFAULT_LIST_SHARDS_PAGE_SIZE, type ListShardsOptions } from './list-shards.js'
export {
  describeStreamSummary,
  DEFAULT_DESCRIBE_STREAM_ATTEMPTS,
  type DescribeStreamSummaryOptions,
} from './describe-stream.js'
export { sendOptions } from './send-options.js'
export { consoleLogger, type ConsoleLoggerOptions, type LogLevel } from './console-logger.js'
export { scanLeases, type LeaseScan, type ScanLeasesOptions } from './scan-leases.js'
export {
  MAX_HASH_KEY,
  parseHashKey,
  parseHashKeyRange,
  partitionKeyHashKey,
  hashKeyInRange,
  type HashKeyRange,
  type ParsedHashKeyRange,
} from './hash-key.js'
export {
  deaggregate,
  deaggregateInto,
  isAggregated,
  type KinesisRecordLike,
} from './kpl-deaggregate.js'
export {
  CHECKPOINT_SENTINELS,
  LEASE_ATTRIBUTES,
  InvalidLeaseItemError,
  isSentinel,
  isSequenceNumber,
  isLeaseFinished,
  checkpointPosition,
  leaseFromItem,
  leaseToItem,
  type Lease,
  type LeaseItem,
  type Checkpoint,
  type CheckpointSentinel,
} from './lease-item.js'
export {
  isInitialPosition,
  initialSentinel,
  type InitialPosition,
  type InitialSentinel,
} from './initial-position.js'
export {
  createLeaseTableInput,
  ensureLeaseTable,
  DEFAULT_ENSURE_TABLE_TIMEOUT_MS,
  type EnsureLeaseTableOptions,
  type EnsureLeaseTableResult,
} from './lease-table.js'
export {
  createLeaseInput,
  renewLeaseInput,
  takeLeaseInput,
  beginHandoffInput,
  handoffCheckpointInput,
  clearCheckpointOwnerInput,
  checkpointLeaseInput,
  releaseLeaseInput,
  linkChildrenInput,
  linkParentsInput,
  endUnheldLeaseInput,
  deleteFinishedLeaseInput,
  markShardAbsentInput,
  clearShardAbsentInput,
  isConditionalCheckFailed,
  conditionFailedItem,
  type HolderWriteParams,
  type TakeLeaseParams,
  type BeginHandoffParams,
  type HandoffCheckpointParams,
  type CheckpointLeaseParams,
  type LinkChildrenParams,
  type LinkParentsParams,
  type LeaseKeyParams,
  type ShardAbsentParams,
  type DeleteFinishedLeaseParams,
} from './lease-writes.js'
export {
  OptionsValidator,
  type CheckOptions,
  type NumberCheckOptions,
  type StringArrayCheckOptions,
} from './validate.js'
export { ShardReader, readShard, type ShardBatch } from './reader/shard-reader.js'
export {
  DEFAULT_GET_RECORDS_LIMIT,
  DEFAULT_IDLE_WAIT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_RETRY_BASE_DELAY_MS,
  DEFAULT_RETRY_MAX_DELAY_MS,
  DEFAULT_MAX_RETRIES,
  type ShardReaderOptions,
} from './reader/shard-reader-options.js'
export { type ShardPosition } from './reader/iterator-position.js'
export { type ChildShard } from './reader/child-shards.js'
export {
  ShardThrottle,
  DEFAULT_GET_RECORDS_PER_SECOND,
  DEFAULT_GET_SHARD_ITERATOR_PER_SECOND,
  DEFAULT_READ_BYTES_PER_SECOND,
  type ReaderLimits,
  type ResolvedReaderLimits,
  type ThrottledOperation,
} from './reader/throttle.js'
export { FanOutShardReader } from './reader/fan-out/fan-out-shard-reader.js'
export {
  DEFAULT_EVENT_TIMEOUT_MS,
  type FanOutShardReaderOptions,
} from './reader/fan-out/fan-out-reader-options.js'
export {
  ensureStreamConsumer,
  listStreamConsumers,
  deregisterStreamConsumer,
  DEFAULT_CONSUMER_ACTIVE_TIMEOUT_MS,
  DEFAULT_CONSUMER_CALL_ATTEMPTS,
  type StreamConsumer,
  type StreamConsumerCallOptions,
  type EnsureStreamConsumerOptions,
  type EnsuredStreamConsumer,
  type ListStreamConsumersOptions,
  type DeregisterStreamConsumerOptions,
} from './stream-consumers.js'
