// `pnpm chaos`: plays every scenario through the fault-injecting proxies against kinesis-local and
// dynalite, prints the verdict table and each scenario's details, and exits non-zero on a FAIL.
// Flags: --short (the CI timeline), --seed N, --only name[,name], --log-level info|debug,
// --intensity X (the mixed scenario's fault rates times X; default 1).
// The event timeline (reshards, kills, fault windows) is printed as it happens.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LogLevel } from '@kine/core'
import { kinesisClient, startDynamo, startKinesis } from '@kine-tools/local'
import { scenarioDetails, verdictTable } from './report.js'
import { runScenario, type ScenarioResult } from './scenario-runner.js'
import { scenarios } from './scenarios.js'

process.env.AWS_EC2_METADATA_DISABLED = 'true'
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
process.env.AWS_ACCESS_KEY_ID ??= 'kinechaos'
process.env.AWS_SECRET_ACCESS_KEY ??= 'kinechaos'

const args = process.argv.slice(2)
const flag = (name: string): string | undefined => {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`))
  if (i < 0) return undefined
  const hit = args[i]!
  if (hit.includes('=')) return hit.slice(hit.indexOf('=') + 1)
  const next = args[i + 1]
  return next !== undefined && !next.startsWith('--') ? next : ''
}
const short = flag('short') !== undefined
const seed = Number(flag('seed') ?? 1)
const only = flag('only')?.split(',').filter(Boolean)
const intensity = Number(flag('intensity') ?? 1)
const logLevel = (flag('log-level') ?? 'info') as LogLevel

async function main(): Promise<boolean> {
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${flag('seed')}`)
  if (!(intensity > 0)) throw new Error(`--intensity must be a positive number`)
  const chosen = scenarios(short, intensity).filter((s) => !only || only.includes(s.name))
  if (chosen.length === 0) throw new Error(`no scenario named ${only?.join(', ')}`)
  const logDir = mkdtempSync(join(tmpdir(), 'kine-chaos-'))
  console.log(
    `kine chaos: ${chosen.map((s) => s.name).join(', ')}${short ? ' (short)' : ''}, seed ${seed}, intensity ${intensity}, logs in ${logDir}`,
  )
  const [kinesisLocal, dynamo] = await Promise.all([
    startKinesis({ engine: 'kinesis-local' }),
    startDynamo({ engine: 'dynalite' }),
  ])
  const kinesis = kinesisClient(kinesisLocal.endpoint)
  const results: ScenarioResult[] = []
  try {
    for (const def of chosen) {
      console.log(`\n== ${def.name}: ${def.title}`)
      const result = await runScenario(def, {
        kinesisEndpoint: kinesisLocal.endpoint,
        dynamoEndpoint: dynamo.endpoint,
        kinesis,
        logDir,
        seed,
        logLevel,
        onEvent: (line: string) => console.log(line),
      })
      results.push(result)
      console.log(`${def.name}: ${result.pass ? 'PASS' : 'FAIL'} (${result.durationS} s)`)
    }
  } finally {
    kinesis.destroy()
    await Promise.all([kinesisLocal.stop(), dynamo.stop()])
  }
  console.log(`\n${results.map(scenarioDetails).join('\n\n')}`)
  console.log(
    `\nverdict (seed ${seed}${intensity === 1 ? '' : `, intensity ${intensity}`}${short ? ', short' : ''})\n${verdictTable(results)}`,
  )
  const pass = results.every((r) => r.pass)
  console.log(pass ? '\nPASS' : '\nFAIL')
  return pass
}

main().then(
  (pass) => process.exit(pass ? 0 : 1),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
