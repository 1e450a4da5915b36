// Plays one scenario: a fresh stream and lease table on the shared emulators, a chaos proxy in
// front of each (unless the scenario runs without, like the demo), Sync and the workers as
// processes, the producer, the timeline of steps; then the drain, a graceful stop and the verdict.
// Logs (each process, the event timeline, every injected fault) go to the scenario's log
// directory. A caller can watch the run as it goes (the demo's live view).
import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  MergeShardsCommand,
  SplitShardCommand,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis'
import { listShards, type LogLevel } from '@kine/core'
import { createStream, waitForStreamActive } from '@kine-tools/local'
import { startChaosProxy, type ChaosProxy } from './chaos-proxy.js'
import { Fleet, type UnexpectedExit } from './fleet.js'
import { Ledger, type LedgerVerdict } from './ledger.js'
import type { WorkerMessage } from './messages.js'
import { startProducer } from './producer.js'
import type { ScenarioContext, ScenarioDefinition } from './scenario.js'

export interface RunOptions {
  readonly kinesisEndpoint: string
  readonly dynamoEndpoint: string
  /** A client straight to the Kinesis emulator (producer, reshards, lineage). */
  readonly kinesis: KinesisClient
  readonly logDir: string
  /** Seeds the proxies' fault decisions. @defaultValue 1 */
  readonly seed?: number
  readonly logLevel: LogLevel
  /** Called with each event line as it happens. @defaultValue none */
  readonly onEvent?: (line: string) => void
  /**
   * Whether workers' lease changes (taken, lost, released) and graceful stops are event lines
   * too; the chaos timeline leaves them to each worker's log.
   * @defaultValue false
   */
  readonly leaseEvents?: boolean
  /** Called once the fleet is running and the producer starts, to watch the run. @defaultValue none */
  readonly onStart?: (view: RunView) => void
}

/** What a caller can watch while a scenario runs. */
export interface RunView {
  readonly streamName: string
  readonly tableName: string
  /** Read it, never write it: the runner's ledger. */
  readonly ledger: Ledger
  /** The stream's shards as of the last reshard. */
  readonly shards: () => readonly Shard[]
}

export interface ScenarioResult {
  readonly name: string
  readonly title: string
  readonly verdict: LedgerVerdict
  readonly workerExits: readonly UnexpectedExit[]
  /** Faults injected, by `service operation label`. */
  readonly faults: Record<string, number>
  /** Problems of the harness itself (a step that failed): the scenario cannot pass. */
  readonly harnessErrors: readonly string[]
  readonly durationS: number
  readonly logDir: string
  readonly pass: boolean
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const isOpen = (s: Shard): boolean => s.SequenceNumberRange?.EndingSequenceNumber === undefined
const startKey = (s: Shard): bigint => BigInt(s.HashKeyRange!.StartingHashKey!)

/** Whether a verdict is a pass: nothing lost or misordered, no worker exit, resumed. */
export function passes(v: LedgerVerdict, exits: number): boolean {
  return (
    v.produced > 0 &&
    v.lost === 0 &&
    v.orderViolations === 0 &&
    v.childrenBeforeParents === 0 &&
    v.unknown === 0 &&
    exits === 0 &&
    v.resumed
  )
}

export async function runScenario(def: ScenarioDefinition, o: RunOptions): Promise<ScenarioResult> {
  const logDir = join(o.logDir, def.name)
  mkdirSync(logDir, { recursive: true })
  const began = performance.now()
  let productionStart = performance.now()
  const now = (): number => Math.round(performance.now() - productionStart)
  const eventsFile = join(logDir, 'events.log')
  const event = (text: string): void => {
    const line = `[${(now() / 1000).toFixed(1).padStart(6)} s] ${def.name}: ${text}`
    appendFileSync(eventsFile, `${line}\n`)
    o.onEvent?.(line)
  }

  const stream = `chaos-${def.name}`
  const table = `chaos-${def.name}-leases`
  const ledger = new Ledger()
  const harnessErrors: string[] = []
  const parents = new Map<string, readonly string[]>()
  let shards: Shard[] = []
  const refreshLineage = async (): Promise<void> => {
    shards = await listShards(o.kinesis, { streamName: stream })
    for (const s of shards)
      parents.set(
        s.ShardId!,
        [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => !!p),
      )
  }

  const seed = o.seed ?? 1
  const proxies: ChaosProxy[] = []
  let kinesisProxy: ChaosProxy | undefined
  let dynamoProxy: ChaosProxy | undefined
  if (def.proxied ?? true) {
    kinesisProxy = await startChaosProxy({ upstream: o.kinesisEndpoint, seed, name: 'kinesis' })
    proxies.push(kinesisProxy)
    dynamoProxy = await startChaosProxy({
      upstream: o.dynamoEndpoint,
      seed: seed + 1,
      name: 'dynamodb',
    })
    proxies.push(dynamoProxy)
  }
  const noProxy = (): never => {
    throw new Error(`${def.name} runs without chaos proxies`)
  }

  const onMessage = (m: WorkerMessage): void => {
    switch (m.type) {
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
        if (o.leaseEvents) event(`${m.workerId} lease ${m.event} ${m.shardId}`)
        break
      case 'stopped':
        if (o.leaseEvents) event(`${m.workerId} stopped and released its leases`)
        break
      case 'ready':
        break
    }
  }
  const fleet = new Fleet({
    logDir,
    env: {
      kinesisEndpoint: kinesisProxy?.endpoint ?? o.kinesisEndpoint,
      dynamoEndpoint: dynamoProxy?.endpoint ?? o.dynamoEndpoint,
      streamName: stream,
      tableName: table,
      leaseDurationMs: def.leaseDurationMs,
      syncIntervalMs: def.syncIntervalMs,
      logLevel: o.logLevel,
    },
    onMessage,
    now,
  })

  const ctx: ScenarioContext = {
    get kinesisProxy() {
      return kinesisProxy ?? noProxy()
    },
    get dynamoProxy() {
      return dynamoProxy ?? noProxy()
    },
    async split() {
      const target = shards.filter(isOpen).sort((a, b) => (startKey(a) < startKey(b) ? -1 : 1))[0]!
      const mid =
        (BigInt(target.HashKeyRange!.StartingHashKey!) +
          BigInt(target.HashKeyRange!.EndingHashKey!)) /
        2n
      event(`splitting ${target.ShardId}`)
      await o.kinesis.send(
        new SplitShardCommand({
          StreamName: stream,
          ShardToSplit: target.ShardId,
          NewStartingHashKey: mid.toString(),
        }),
      )
      await waitForStreamActive(o.kinesis, stream)
      await refreshLineage()
    },
    async merge() {
      const open = shards.filter(isOpen).sort((a, b) => (startKey(a) < startKey(b) ? -1 : 1))
      const [a, b] = [open[open.length - 2]!, open[open.length - 1]!]
      event(`merging ${a.ShardId} and ${b.ShardId}`)
      await o.kinesis.send(
        new MergeShardsCommand({
          StreamName: stream,
          ShardToMerge: a.ShardId,
          AdjacentShardToMerge: b.ShardId,
        }),
      )
      await waitForStreamActive(o.kinesis, stream)
      await refreshLineage()
    },
    kill(name) {
      event(`${name} killed with SIGKILL`)
      fleet.kill(name)
    },
    async startWorker(name) {
      await fleet.start(name, 'worker')
      event(`${name} started`)
    },
    mark(label) {
      ledger.mark(label, now())
      event(`-- ${label}`)
    },
    event,
  }

  try {
    await createStream(o.kinesis, stream, def.shards)
    await refreshLineage()
    await fleet.start('sync', 'sync')
    await Promise.all(
      Array.from({ length: def.workers }, (_, i) => fleet.start(`worker-${i + 1}`, 'worker')),
    )
    productionStart = performance.now()
    event(`sync and ${def.workers} workers running (F = ${def.leaseDurationMs} ms); producing`)
    const producer = startProducer({
      kinesis: o.kinesis,
      streamName: stream,
      keys: def.keys,
      everyMs: def.produceEveryMs,
      ledger,
      now,
    })
    o.onStart?.({ streamName: stream, tableName: table, ledger, shards: () => shards })
    const at = (s: number): Promise<void> => sleep(Math.max(0, s * 1000 - now()))
    // Each step starts at its time whether or not the ones before have finished: a worker started
    // during a Scan outage is not ready until the outage ends, which is a later step.
    const running = def.steps.map(async (step) => {
      await at(step.atS)
      try {
        await step.run(ctx)
      } catch (error) {
        harnessErrors.push(`step at ${step.atS} s failed: ${String(error)}`)
        event(`HARNESS: step at ${step.atS} s failed: ${String(error)}`)
      }
    })
    await at(def.produceForS)
    await producer.stop()
    event(`producer stopped after ${ledger.producedCount} records`)

    const drainUntil = performance.now() + def.drainTimeoutS * 1000
    while (ledger.processedCount < ledger.producedCount && performance.now() < drainUntil)
      await sleep(250)
    const stepsDone = Promise.all(running).then(() => true)
    if (!(await Promise.race([stepsDone, sleep(5_000).then(() => false)]))) {
      harnessErrors.push(
        'a step was still running after the drain (a worker that never became ready?)',
      )
      event('HARNESS: a step was still running after the drain')
    }
    event(
      ledger.processedCount < ledger.producedCount
        ? `gave up waiting: ${ledger.producedCount - ledger.processedCount} records never processed`
        : 'every record processed',
    )
  } finally {
    for (const p of proxies) p.clearRules()
    await Promise.all(proxies.map((p) => p.endOutage()))
    await fleet.stop(10_000)
    for (const p of proxies) {
      writeFileSync(
        join(logDir, `faults-${p.name}.jsonl`),
        p.injected.map((f) => JSON.stringify(f)).join('\n') + '\n',
      )
      await p.stop()
    }
  }

  const verdict = ledger.verdict(def.faultsEndS * 1000)
  const faults: Record<string, number> = {}
  for (const p of proxies)
    for (const [k, v] of Object.entries(p.counts())) faults[`${p.name} ${k}`] = v
  for (const e of fleet.unexpectedExits)
    event(`UNEXPECTED EXIT ${e.name} (code ${e.code}, signal ${e.signal}) at ${e.atMs} ms`)
  return {
    name: def.name,
    title: def.title,
    verdict,
    workerExits: fleet.unexpectedExits,
    faults,
    harnessErrors,
    durationS: Math.round((performance.now() - began) / 100) / 10,
    logDir,
    pass: harnessErrors.length === 0 && passes(verdict, fleet.unexpectedExits.length),
  }
}
