#!/usr/bin/env node
// `pnpm local`: runs Kinesis, DynamoDB and the CloudWatch receiver on loopback ports until Ctrl-C,
// and prints the environment that points the AWS SDK and the kine CLI at them.
import { parseArgs } from 'node:util'
import type { ReceivedPutMetricData } from './cloudwatch-types.js'
import { shellExports, startLocalAws, type LocalAws } from './local-aws.js'

const usage = `Usage: kine-local [options]

Runs local AWS emulators on 127.0.0.1 (ephemeral ports) until Ctrl-C.

Options:
  --kinesalite       use kinesalite instead of kinesis-local (faster, no resharding or fan-out)
  --no-kinesis       run no Kinesis emulator
  --dynamodb-local   use Amazon's DynamoDB Local (needs Java) instead of dynalite
  --no-dynamo        run no DynamoDB emulator
  --no-cloudwatch    run no CloudWatch receiver
  --quiet            do not print each PutMetricData the receiver gets
  -h, --help         show this help`

function describe(request: ReceivedPutMetricData): string {
  const names = [...new Set(request.MetricData.map((d) => d.MetricName))]
  const shown =
    names.slice(0, 6).join(', ') + (names.length > 6 ? `, +${names.length - 6} more` : '')
  return `[cloudwatch] PutMetricData ${request.Namespace}: ${request.MetricData.length} data (${shown})`
}

async function main(): Promise<number> {
  // The SDK warns that its 2027 releases will need Node 22; on this dev tool that is only noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const { values } = parseArgs({
    options: {
      kinesalite: { type: 'boolean', default: false },
      'no-kinesis': { type: 'boolean', default: false },
      'dynamodb-local': { type: 'boolean', default: false },
      'no-dynamo': { type: 'boolean', default: false },
      'no-cloudwatch': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  })
  if (values.help) {
    console.log(usage)
    return 0
  }

  let aws: LocalAws
  try {
    aws = await startLocalAws({
      kinesis: values['no-kinesis'] ? false : values.kinesalite ? 'kinesalite' : 'kinesis-local',
      dynamo: values['no-dynamo']
        ? false
        : values['dynamodb-local']
          ? 'dynamodb-local'
          : 'dynalite',
      cloudwatch: values['no-cloudwatch']
        ? false
        : {
            // The demo runs for hours: keep only recent requests.
            retain: 100,
            ...(values.quiet
              ? {}
              : { onPutMetricData: (request) => console.log(describe(request)) }),
          },
    })
  } catch (error) {
    console.error(`kine-local: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  }
  const rows = [
    aws.kinesis === undefined ? undefined : ['Kinesis', aws.kinesis.engine, aws.kinesis.endpoint],
    aws.dynamo === undefined ? undefined : ['DynamoDB', aws.dynamo.engine, aws.dynamo.endpoint],
    aws.cloudwatch === undefined ? undefined : ['CloudWatch', 'receiver', aws.cloudwatch.endpoint],
  ].filter((row): row is string[] => row !== undefined)
  console.log('Local AWS is running (Ctrl-C stops it):')
  for (const [service, engine, endpoint] of rows)
    console.log(`  ${service?.padEnd(11)}${engine?.padEnd(16)}${endpoint}`)
  console.log('\nIn another shell:\n')
  console.log(shellExports(aws.env))
  console.log('')

  // Emulators running in this process keep it alive; child emulators are unref'd, so hold it open.
  const keepAlive = setInterval(() => {}, 1 << 30)
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  // A second Ctrl-C gives up waiting; the 'exit' handler still kills the children.
  process.once('SIGINT', () => process.exit(130))
  console.log(`\n${signal}: stopping...`)
  try {
    await aws.stop()
  } finally {
    clearInterval(keepAlive)
  }
  console.log('stopped')
  return 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    console.error(error)
    process.exitCode = 1
  },
)
