// @kine/lease: the worker that shares a Kinesis stream's shards through DynamoDB leases.
export { Consumer, type HeldLeaseInfo } from './consumer.js'
export type { LeasePhase } from './held-lease.js'
export type { InitialPosition } from '@kine/core'
export {
  DEFAULT_LEASE_DURATION_MS,
  DEFAULT_HANDLER_RETRIES,
  DEFAULT_HANDLER_RETRY_BASE_DELAY_MS,
  DEFAULT_HANDLER_RETRY_MAX_DELAY_MS,
  DEFAULT_STOP_TIMEOUT_MS,
  DEFAULT_MAX_UNCHECKPOINTED_BATCHES,
  DEFAULT_NO_LEASES_WARNING_MS,
  type ConsumerOptions,
  type HandlerFailurePolicy,
  type SlowHandlerPolicy,
} from './options.js'
export type {
  ShardContext,
  RecordsContext,
  ShardEndContext,
  LeaseLostInfo,
  LeaseLostReason,
  ConsumerEvents,
  ConsumerListener,
} from './context.js'
export {
  kcl,
  toLegacyRecord,
  type LegacyKclConfig,
  type LegacyKcl,
  type LegacyRecord,
  type LegacyShard,
  type LegacyCallback,
} from './compat.js'
