// @kine/lease: the worker that shares a Kinesis stream's shards through DynamoDB leases. Every
// export here is in the README.
export { Consumer, type HeldLeaseInfo } from './consumer.js'
export type { LeasePhase } from './held-lease.js'
export type { InitialPosition } from '@kine/core'
export type { ConsumerOptions, HandlerFailurePolicy, SlowHandlerPolicy } from './options.js'
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
  type LegacyKclConfig,
  type LegacyKcl,
  type LegacyRecord,
  type LegacyShard,
  type LegacyCallback,
} from './compat.js'
