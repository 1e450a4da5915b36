// The chaos scenarios' Sync, in its own process and through the proxies like the workers: it keeps
// the lease table in step with the stream, so it meets the same malformed listings and outages.
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
