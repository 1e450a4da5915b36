// `pnpm demo`: kine's main job on embedded emulators, no AWS account. A 4-shard stream, a Sync and
// three workers as separate processes, a producer numbering records per key; midway a split, a
// merge, a worker killed with SIGKILL and a new one started. Ends with a verdict from the ledger
// of what was produced and processed, and exits non-zero if anything was lost or misordered.
// The fleet, producer, ledger and timeline are @kine-tools/chaos's runner, here without proxies;
// this file adds the live view and the verdict text.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { scanLeases, type Lease } from '@kine/core'
import { runScenario, type RunView, type ScenarioResult } from '@kine-tools/chaos'
import { dynamoClient, kinesisClient, startDynamo, startKinesis } from '@kine-tools/local'
import { LiveBlock, renderLine, renderTable, type ShardRow } from './display.js'
import { DEMO } from './scenario.js'

process.env.AWS_EC2_METADATA_DISABLED = 'true'
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const live = process.stdout.isTTY && !process.env.CI
/** When production started (set once it has), so the view's time matches the timeline's. */
let productionStart = Date.now()
const elapsed = (): number => (Date.now() - productionStart) / 1000

async function main(): Promise<ScenarioResult> {
  const [kinesisLocal, dynamo] = await Promise.all([
    startKinesis({ engine: 'kinesis-local' }),
    startDynamo({ engine: 'dynalite' }),
  ])
  const kinesis = kinesisClient(kinesisLocal.endpoint)
  const dynamodb = dynamoClient(dynamo.endpoint)
  const logDir = mkdtempSync(join(tmpdir(), 'kine-demo-'))
  const events: string[] = []
  let view: NodeJS.Timeout | undefined
  try {
    console.log(
      `kinesis-local ${kinesisLocal.endpoint}, dynalite ${dynamo.endpoint}, logs in ${logDir}`,
    )
    // The view: the lease table and the ledger, twice a second.
    const watch = (run: RunView): void => {
      productionStart = Date.now()
      const block = new LiveBlock(process.stdout)
      let lastLine = 0
      view = setInterval(() => {
        void scanLeases(dynamodb, run.tableName)
          .then(({ leases }) => {
            const byKey = new Map<string, Lease>(leases.map((l) => [l.leaseKey, l]))
            const rows: ShardRow[] = run.shards().map((s) => ({
              shardId: s.ShardId!,
              lease: byKey.get(s.ShardId!),
              open: s.SequenceNumberRange?.EndingSequenceNumber === undefined,
              lag: run.ledger.lag(s.ShardId!),
            }))
            const { producedCount, processedCount } = run.ledger
            if (live)
              block.draw(renderTable(elapsed(), rows, producedCount, processedCount, events))
            else if (Date.now() - lastLine > 5_000) {
              lastLine = Date.now()
              console.log(renderLine(elapsed(), rows, producedCount, processedCount))
            }
          })
          .catch(() => {})
      }, 500)
    }
    return await runScenario(DEMO, {
      kinesisEndpoint: kinesisLocal.endpoint,
      dynamoEndpoint: dynamo.endpoint,
      kinesis,
      logDir,
      logLevel: 'info',
      leaseEvents: true,
      onEvent: (line) => {
        events.push(line)
        if (!live) console.log(line)
      },
      onStart: watch,
    })
  } finally {
    clearInterval(view)
    kinesis.destroy()
    dynamodb.destroy()
    await Promise.all([kinesisLocal.stop(), dynamo.stop()])
  }
}

function printVerdict(r: ScenarioResult): void {
  const v = r.verdict
  const line = (label: string, value: number, rule: string): string =>
    `  ${label.padEnd(34)} ${String(value).padStart(7)}  ${rule}`
  const mustBe0 = (n: number): string => (n === 0 ? 'ok (must be 0)' : 'BROKEN (must be 0)')
  console.log('\nverdict')
  console.log(line('records produced', v.produced, ''))
  console.log(line('records processed', v.processed, ''))
  console.log(line('lost', v.lost, mustBe0(v.lost)))
  console.log(line('duplicates', v.duplicates, 'allowed (at-least-once; from the SIGKILL)'))
  console.log(line('per-key order violations', v.orderViolations, mustBe0(v.orderViolations)))
  console.log(
    line(
      'children started before a parent',
      v.childrenBeforeParents,
      mustBe0(v.childrenBeforeParents),
    ),
  )
  if (v.unknown > 0) console.log(line('records nobody produced', v.unknown, 'BROKEN'))
  for (const e of r.workerExits)
    console.log(`  BROKEN: ${e.name} exited by itself (code ${e.code}, signal ${e.signal})`)
  for (const e of r.harnessErrors) console.log(`  BROKEN (the demo itself): ${e}`)
  console.log(r.pass ? '\nPASS: nothing lost, order kept, parents before children' : '\nFAIL')
}

main().then(
  (result) => {
    printVerdict(result)
    process.exit(result.pass ? 0 : 1)
  },
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
