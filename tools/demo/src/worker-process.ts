// One demo worker: a @kine/lease Consumer in its own process, reporting every record it processes
// (and every shard end) to the orchestrator before the handler returns, so the ledger sees a record
// before it can be checkpointed. SIGTERM stops it gracefully; SIGKILL is the demo's crash.
import { Consumer } from '@kine/lease'
import { dynamoClient, kinesisClient } from '@kine-tools/local'
import { readChildEnv, sendToParent } from './ipc.js'
import type { DemoPayload } from './messages.js'
import { DEMO_LEASE_DURATION_MS } from './scenario.js'

process.env.AWS_EC2_METADATA_DISABLED = 'true'
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const env = readChildEnv()
const kinesis = kinesisClient(env.kinesisEndpoint)
const dynamodb = dynamoClient(env.dynamoEndpoint)
const decoder = new TextDecoder()

const consumer = new Consumer({
  streamName: env.streamName,
  tableName: env.tableName,
  kinesis,
  dynamodb,
  workerId: env.workerId,
  leaseDurationMs: DEMO_LEASE_DURATION_MS,
  async processRecords(records, ctx) {
    const delivered = records.map((r) => {
      const payload = JSON.parse(decoder.decode(r.data)) as DemoPayload
      return {
        key: payload.key,
        n: payload.n,
        sequenceNumber: r.sequenceNumber,
        subSequenceNumber: r.subSequenceNumber,
      }
    })
    if (delivered.length > 0)
      await sendToParent({
        type: 'records',
        workerId: env.workerId,
        shardId: ctx.shardId,
        records: delivered,
      })
  },
  async shardEnded(ctx) {
    await sendToParent({
      type: 'shard-ended',
      workerId: env.workerId,
      shardId: ctx.shardId,
      childShardIds: ctx.childShardIds,
    })
  },
})
consumer.on(
  'leaseTaken',
  ({ shardId }) =>
    void sendToParent({ type: 'lease', workerId: env.workerId, shardId, event: 'taken' }).catch(
      () => {},
    ),
)
consumer.on(
  'leaseLost',
  ({ shardId }) =>
    void sendToParent({ type: 'lease', workerId: env.workerId, shardId, event: 'lost' }).catch(
      () => {},
    ),
)

let stopping = false
process.on('SIGTERM', () => {
  if (stopping) return
  stopping = true
  void consumer
    .stop()
    .then(() => sendToParent({ type: 'stopped', workerId: env.workerId }))
    .finally(() => {
      kinesis.destroy()
      dynamodb.destroy()
      process.disconnect?.()
    })
})

await consumer.start()
await sendToParent({ type: 'ready', workerId: env.workerId })
