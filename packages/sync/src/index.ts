// @kine/sync: keep a KCL 2.x compatible lease table in step with a Kinesis stream's shards. Every
// export here is in the README.
export { Sync, type SyncResult } from './sync.js'
export type { SyncOptions } from './options.js'
export type { InitialPosition } from '@kine/core'
export { sync, type LegacySyncConfig, type LegacySync } from './compat.js'
