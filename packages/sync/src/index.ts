// @kine/sync: keep a KCL 2.x compatible lease table in step with a Kinesis stream's shards.
export { Sync, type SyncResult } from './sync.js'
export {
  DEFAULT_SYNC_INTERVAL_MS,
  DEFAULT_GRACE_PERIOD_MS,
  DEFAULT_PAGE_SIZE,
  DEFAULT_SHARD_GONE_CONFIRM_MS,
  type SyncOptions,
} from './options.js'
export type { InitialPosition } from '@kine/core'
export { sync, type LegacySyncConfig, type LegacySync } from './compat.js'
