// `pnpm demo`: kine on embedded emulators, no AWS account. For now (the worker is still to come)
// it writes numbered records to a 4-shard local stream and reads every shard back with
// @kine/core's ShardReader, printing what it reads and checking that nothing was lost.
import { ShardReader, type KineRecord } from '@kine/core'
import { createStream, kinesisClient, putRecords, startKinesis } from '@kine-tools/local'
import { ListShardsCommand } from '@aws-sdk/client-kinesis'

process.env.AWS_EC2_METADATA_DISABLED = 'true'
// The pinned SDK warns on Node 20 about its releases after January 2027; kine pins its versions.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const STREAM = 'kine-demo'
const SHARDS = 4
const RECORDS = 400
const KEYS = 16

async function main(): Promise<number> {
  const started = Date.now()
  console.log('starting kinesis-local on a loopback port ...')
  const kinesisLocal = await startKinesis({ engine: 'kinesis-local' })
  const kinesis = kinesisClient(kinesisLocal.endpoint)
  try {
    console.log(`kinesis-local at ${kinesisLocal.endpoint}`)
    await createStream(kinesis, STREAM, SHARDS)
    console.log(`stream "${STREAM}" with ${SHARDS} shards is active`)

    const produced = Array.from({ length: RECORDS }, (_, i) => ({
      partitionKey: `key-${i % KEYS}`,
      data: JSON.stringify({ key: `key-${i % KEYS}`, n: Math.floor(i / KEYS) }),
    }))
    await putRecords(kinesis, STREAM, produced)
    console.log(`produced ${RECORDS} records over ${KEYS} partition keys`)

    const shards = (await kinesis.send(new ListShardsCommand({ StreamName: STREAM }))).Shards ?? []
    const decoder = new TextDecoder()
    const seen: KineRecord[] = []
    for (const shard of shards) {
      const controller = new AbortController()
      const reader = new ShardReader({
        client: kinesis,
        streamName: STREAM,
        shardId: shard.ShardId!,
        position: 'TRIM_HORIZON',
        signal: controller.signal,
      })
      let count = 0
      for await (const batch of reader.read()) {
        for (const r of batch.records) {
          if (count < 3) console.log(`  ${r.shardId} #${r.sequenceNumber.slice(-6)} ${r.partitionKey}: ${decoder.decode(r.data)}`)
          count++
          seen.push(r)
        }
        // A caught-up open shard yields empty batches: this shard is drained.
        if (batch.shardEnded || (batch.records.length === 0 && batch.millisBehindLatest === 0)) break
      }
      console.log(`${shard.ShardId}: read ${count} records`)
    }

    // Per key, records must come back in the order they were written.
    let orderViolations = 0
    const lastByKey = new Map<string, number>()
    for (const r of seen) {
      const { key, n } = JSON.parse(decoder.decode(r.data)) as { key: string; n: number }
      if ((lastByKey.get(key) ?? -1) >= n) orderViolations++
      lastByKey.set(key, n)
    }
    const lost = RECORDS - new Set(seen.map((r) => r.sequenceNumber)).size
    console.log(`\nproduced ${RECORDS}, read ${seen.length}, lost ${lost}, per-key order violations ${orderViolations}`)
    console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    return lost === 0 && orderViolations === 0 && seen.length === RECORDS ? 0 : 1
  } finally {
    kinesis.destroy()
    await kinesisLocal.stop()
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
