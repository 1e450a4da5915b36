// The demo's Sync, in its own process: it keeps the lease table in step with the stream, so new
// shards from the split and the merge get leases even before a worker reaches a shard's end.
import { Sync } from '@kine/sync'
import { dynamoClient, kinesisClient } from '@kine-tools/local'
import { readChildEnv, sendToParent } from './ipc.js'
import { DEMO_SYNC_INTERVAL_MS } from './scenario.js'

process.env.AWS_EC2_METADATA_DISABLED = 'true'
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const env = readChildEnv()
const kinesis = kinesisClient(env.kinesisEndpoint)
const dynamodb = dynamoClient(env.dynamoEndpoint)
const sync = new Sync({
  streamName: env.streamName,
  tableName: env.tableName,
  kinesis,
  dynamodb,
  initialPosition: 'TRIM_HORIZON',
  intervalMs: DEMO_SYNC_INTERVAL_MS,
})

process.on('SIGTERM', () => {
  void sync.stop().finally(() => {
    kinesis.destroy()
    dynamodb.destroy()
    process.disconnect?.()
  })
})

await sync.start()
await sendToParent({ type: 'ready', workerId: 'sync' })
