// `pnpm demo`: kine's main job on embedded emulators, no AWS account. A 4-shard stream, a Sync and
// three workers as separate processes, a producer numbering records per key; midway a split, a
// merge, a worker killed with SIGKILL and a new one started. Ends with a verdict from the ledger
// of what was produced and processed, and exits non-zero if anything was lost or misordered.
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  MergeShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis'
import { listShards, scanLeases, type Lease } from '@kine/core'
import {
  createStream,
  dynamoClient,
  kinesisClient,
  startDynamo,
  startKinesis,
  waitForStreamActive,
} from '@kine-tools/local'
import { LiveBlock, renderLine, renderTable, type ShardRow } from './display.js'
import { Ledger, type Verdict } from './ledger.js'
import type { WorkerMessage } from './messages.js'
import { SCENARIO } from './scenario.js'

process.env.AWS_EC2_METADATA_DISABLED = 'true'
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const STREAM = 'kine-demo'
const TABLE = 'kine-demo-leases'
const live = process.stdout.isTTY && !process.env.CI
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const events: string[] = []
const started = Date.now()
/** Seconds since the demo began; the scenario's times count from when production starts. */
const elapsed = (): number => (Date.now() - started) / 1000
let productionStart = Date.now()
function event(text: string): void {
  const line = `[${elapsed().toFixed(1).padStart(5)} s] ${text}`
  events.push(line)
  if (!live) console.log(line)
}

/** Parent ids of every shard, refreshed after each reshard. */
const parents = new Map<string, readonly string[]>()
let shards: Shard[] = []
async function refreshLineage(kinesis: KinesisClient): Promise<void> {
  shards = await listShards(kinesis, { streamName: STREAM })
  for (const s of shards)
    parents.set(
      s.ShardId!,
      [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => !!p),
    )
}
const isOpen = (s: Shard): boolean => s.SequenceNumberRange?.EndingSequenceNumber === undefined

async function main(): Promise<Verdict> {
  const [kinesisLocal, dynamo] = await Promise.all([
    startKinesis({ engine: 'kinesis-local' }),
    startDynamo({ engine: 'dynalite' }),
  ])
  const kinesis = kinesisClient(kinesisLocal.endpoint)
  const dynamodb = dynamoClient(dynamo.endpoint)
  const children = new Map<string, ChildProcess>()
  const ledger = new Ledger()
  const exited = new Map<string, Promise<void>>()
  try {
    console.log(`kinesis-local ${kinesisLocal.endpoint}, dynalite ${dynamo.endpoint}`)
    await createStream(kinesis, STREAM, SCENARIO.shards)
    await refreshLineage(kinesis)

    const spawn = (name: string, script: string): Promise<void> => {
      const child = fork(fileURLToPath(new URL(script, import.meta.url)), [], {
        env: {
          ...process.env,
          KINE_DEMO_KINESIS: kinesisLocal.endpoint,
          KINE_DEMO_DYNAMODB: dynamo.endpoint,
          KINE_DEMO_STREAM: STREAM,
          KINE_DEMO_TABLE: TABLE,
          KINE_DEMO_WORKER_ID: name,
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
      children.set(name, child)
      exited.set(name, new Promise((resolve) => child.once('exit', () => resolve())))
      return new Promise((resolve, reject) => {
        child.once('exit', (code, signal) =>
          reject(new Error(`${name} exited (${code ?? signal}) before it was ready`)),
        )
        child.on('message', (raw) => {
          const m = raw as WorkerMessage
          switch (m.type) {
            case 'ready':
              resolve()
              break
            case 'records':
              ledger.delivered(m.shardId, m.records, (s) => parents.get(s) ?? [])
              break
            case 'shard-ended':
              ledger.shardEnded(m.shardId)
              event(
                `${m.workerId} finished ${m.shardId} (children ${m.childShardIds.join(', ') || 'none'})`,
              )
              break
            case 'lease':
              event(`${m.workerId} ${m.event} ${m.shardId}`)
              break
            case 'stopped':
              event(`${m.workerId} stopped and released its leases`)
              break
          }
        })
      })
    }

    await spawn('sync', 'sync-process.js')
    event('sync started')
    await Promise.all(
      ['worker-1', 'worker-2', 'worker-3'].map((w) => spawn(w, 'worker-process.js')),
    )
    event('worker-1, worker-2, worker-3 started; producing')
    productionStart = Date.now()

    // The view: the lease table and the ledger, twice a second.
    const block = new LiveBlock(process.stdout)
    let lastLine = 0
    const view = setInterval(() => {
      void scanLeases(dynamodb, TABLE)
        .then(({ leases }) => {
          const byKey = new Map<string, Lease>(leases.map((l) => [l.leaseKey, l]))
          const rows: ShardRow[] = shards.map((s) => ({
            shardId: s.ShardId!,
            lease: byKey.get(s.ShardId!),
            open: isOpen(s),
            lag: ledger.lag(s.ShardId!),
          }))
          if (live)
            block.draw(
              renderTable(elapsed(), rows, ledger.producedCount, ledger.processedCount, events),
            )
          else if (Date.now() - lastLine > 5_000) {
            lastLine = Date.now()
            console.log(renderLine(elapsed(), rows, ledger.producedCount, ledger.processedCount))
          }
        })
        .catch(() => {})
    }, 500)

    // The producer: one record per key per tick, numbered per key, one PutRecords at a time so a
    // key's records are written in order.
    const next = new Map<string, number>()
    let producing = true
    const producer = (async () => {
      while (producing) {
        const batch = Array.from({ length: SCENARIO.keys }, (_, k) => {
          const key = `key-${k}`
          const n = next.get(key) ?? 0
          next.set(key, n + 1)
          return { key, n }
        })
        let pending = batch
        while (pending.length > 0) {
          const out = await kinesis.send(
            new PutRecordsCommand({
              StreamName: STREAM,
              Records: pending.map((p) => ({
                PartitionKey: p.key,
                Data: new TextEncoder().encode(JSON.stringify(p)),
              })),
            }),
          )
          const failed: typeof pending = []
          out.Records?.forEach((r, i) =>
            r.ShardId
              ? ledger.produced(pending[i]!.key, pending[i]!.n, r.ShardId)
              : failed.push(pending[i]!),
          )
          // A record that failed is retried before the key's next one, keeping per-key order.
          pending = failed
        }
        await sleep(SCENARIO.produceEveryMs)
      }
    })()

    const at = async (s: number): Promise<void> =>
      sleep(Math.max(0, s * 1000 - (Date.now() - productionStart)))

    await at(SCENARIO.splitAt)
    const toSplit = shards.filter(isOpen)[0]!
    const mid =
      (BigInt(toSplit.HashKeyRange!.StartingHashKey!) +
        BigInt(toSplit.HashKeyRange!.EndingHashKey!)) /
      2n
    event(`splitting ${toSplit.ShardId}`)
    await kinesis.send(
      new SplitShardCommand({
        StreamName: STREAM,
        ShardToSplit: toSplit.ShardId,
        NewStartingHashKey: mid.toString(),
      }),
    )
    await waitForStreamActive(kinesis, STREAM)
    await refreshLineage(kinesis)

    await at(SCENARIO.mergeAt)
    const open = shards
      .filter(isOpen)
      .sort((a, b) =>
        BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!)
          ? -1
          : 1,
      )
    const [a, b] = [open[open.length - 2]!, open[open.length - 1]!]
    event(`merging ${a.ShardId} and ${b.ShardId}`)
    await kinesis.send(
      new MergeShardsCommand({
        StreamName: STREAM,
        ShardToMerge: a.ShardId,
        AdjacentShardToMerge: b.ShardId,
      }),
    )
    await waitForStreamActive(kinesis, STREAM)
    await refreshLineage(kinesis)

    await at(SCENARIO.killAt)
    children.get('worker-2')!.kill('SIGKILL')
    event('worker-2 killed with SIGKILL (its leases expire; the others take them)')

    await at(SCENARIO.restartAt)
    await spawn('worker-4', 'worker-process.js')
    event('worker-4 started')

    await at(SCENARIO.stopProducingAt)
    producing = false
    await producer
    event(`producer stopped after ${ledger.producedCount} records`)

    const drainUntil = Date.now() + SCENARIO.drainTimeoutS * 1000
    while (ledger.processedCount < ledger.producedCount && Date.now() < drainUntil) await sleep(250)
    clearInterval(view)
    event(
      ledger.processedCount < ledger.producedCount
        ? 'gave up waiting for the workers to catch up'
        : 'every record processed',
    )
    return ledger.verdict()
  } finally {
    // Graceful stop: workers drain, checkpoint and release; then Sync; then the emulators.
    for (const [, child] of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await Promise.race([Promise.all(exited.values()), sleep(15_000)])
    for (const [, child] of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    kinesis.destroy()
    dynamodb.destroy()
    await Promise.all([kinesisLocal.stop(), dynamo.stop()])
  }
}

function printVerdict(v: Verdict): void {
  const line = (label: string, value: number, rule: string): string =>
    `  ${label.padEnd(34)} ${String(value).padStart(7)}  ${rule}`
  console.log('\nverdict')
  console.log(line('records produced', v.produced, ''))
  console.log(line('records processed', v.processed, ''))
  console.log(line('lost', v.lost, v.lost === 0 ? 'ok (must be 0)' : 'BROKEN (must be 0)'))
  console.log(line('duplicates', v.duplicates, 'allowed (at-least-once; from the SIGKILL)'))
  console.log(
    line(
      'per-key order violations',
      v.orderViolations,
      v.orderViolations === 0 ? 'ok (must be 0)' : 'BROKEN (must be 0)',
    ),
  )
  console.log(
    line(
      'children started before a parent',
      v.childrenBeforeParents,
      v.childrenBeforeParents === 0 ? 'ok (must be 0)' : 'BROKEN (must be 0)',
    ),
  )
  if (v.unknown > 0) console.log(line('records nobody produced', v.unknown, 'BROKEN'))
  console.log(v.ok ? '\nPASS: nothing lost, order kept, parents before children' : '\nFAIL')
}

main().then(
  (verdict) => {
    printVerdict(verdict)
    process.exit(verdict.ok ? 0 : 1)
  },
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
