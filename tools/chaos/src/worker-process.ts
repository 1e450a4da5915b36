// One worker of a fleet (a chaos scenario's or the demo's): a @kine/lease Consumer in its own
// process, talking to the services (through the chaos proxies, or straight to the emulators) with
// the SDK clients an app would build (HTTP/1.1, the SDK's own retries). Every record it processes
// (and every shard end) reaches the orchestrator before the handler returns, so the ledger sees a
// record before it can be checkpointed; lease changes and a graceful stop are reported too (the
// demo's timeline shows them). Its log (stderr) goes to a file the report points at. SIGTERM stops
// it gracefully; SIGKILL is a scenario's crash.
import { Consumer } from '@kine/lease'
import { consoleLogger } from '@kine/core'
import { dynamoClient, kinesisClient } from '@kine-tools/local'
import { readChildEnv, sendToParent } from './child-env.js'
import type { ChaosPayload } from './messages.js'

process.env.AWS_EC2_METADATA_DISABLED = 'true'

const env = readChildEnv()
const kinesis = kinesisClient(env.kinesisEndpoint)
const dynamodb = dynamoClient(env.dynamoEndpoint)
const decoder = new TextDecoder()
const logger = consoleLogger('worker', { level: env.logLevel }, { workerId: env.workerId })

const consumer = new Consumer({
  streamName: env.streamName,
  tableName: env.tableName,
  kinesis,
  dynamodb,
  workerId: env.workerId,
  leaseDurationMs: env.leaseDurationMs,
  logger,
  async processRecords(records, ctx) {
    const delivered = records.map((r) => {
      const { key, n } = JSON.parse(decoder.decode(r.data)) as ChaosPayload
      return { key, n, sequenceNumber: r.sequenceNumber, subSequenceNumber: r.subSequenceNumber }
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
// The events, in the log beside the faults that caused them, and to the orchestrator (not awaited:
// a lease change is news, not a record the ledger must have before a checkpoint).
const reportLease = (shardId: string, event: 'taken' | 'lost' | 'released'): void =>
  void sendToParent({ type: 'lease', workerId: env.workerId, shardId, event }).catch(() => {})
consumer.on('leaseTaken', (e) => {
  logger.info({ ...e }, 'chaos: lease taken')
  reportLease(e.shardId, 'taken')
})
consumer.on('leaseLost', (e) => {
  logger.info({ ...e }, 'chaos: lease lost')
  reportLease(e.shardId, 'lost')
})
consumer.on('leaseReleased', (e) => {
  logger.info({ ...e }, 'chaos: lease released')
  reportLease(e.shardId, 'released')
})
consumer.on('shardEnded', (e) => logger.info({ ...e }, 'chaos: shard ended'))
consumer.on('error', (e) => logger.warn({ ...e }, 'chaos: consumer error event'))

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
