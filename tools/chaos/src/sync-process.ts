// A fleet's Sync (a chaos scenario's or the demo's), in its own process and, in a chaos scenario,
// through the proxies like the workers: it keeps the lease table in step with the stream, so new
// shards from a split or a merge get leases even before a worker reaches a shard's end, and it meets
// the same malformed listings and outages as the workers.
import { Sync } from '@kine/sync'
import { consoleLogger } from '@kine/core'
import { dynamoClient, kinesisClient } from '@kine-tools/local'
import { readChildEnv, sendToParent } from './child-env.js'

process.env.AWS_EC2_METADATA_DISABLED = 'true'

const env = readChildEnv()
const kinesis = kinesisClient(env.kinesisEndpoint)
const dynamodb = dynamoClient(env.dynamoEndpoint)
const sync = new Sync({
  streamName: env.streamName,
  tableName: env.tableName,
  kinesis,
  dynamodb,
  initialPosition: 'TRIM_HORIZON',
  intervalMs: env.syncIntervalMs,
  logger: consoleLogger('sync', { level: env.logLevel }),
})

process.on('SIGTERM', () => {
  void sync.stop().finally(() => {
    kinesis.destroy()
    dynamodb.destroy()
    process.disconnect?.()
  })
})

await sync.start()
await sendToParent({ type: 'ready', workerId: env.workerId })
