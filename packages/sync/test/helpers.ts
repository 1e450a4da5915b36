// Set-up of Sync's integration tests, on top of @kine-tools/testkit's emulators.
import type { TestEnv } from '@kine-tools/testkit'
import { Sync, type SyncOptions } from '../src/index.js'

/** A Sync of `stream` into `table` on the env's clients, from TRIM_HORIZON unless `more` says. */
export function newSync(
  env: TestEnv,
  stream: string,
  table: string,
  more: Partial<SyncOptions> = {},
): Sync {
  return new Sync({
    streamName: stream,
    tableName: table,
    kinesis: env.kinesis,
    dynamodb: env.dynamodb,
    initialPosition: 'TRIM_HORIZON',
    ...more,
  })
}
