import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import { cloudWatchClient, dynamoClient, kinesisClient } from './clients.js'
import {
  startCloudWatch,
  type CloudWatchReceiver,
  type StartCloudWatchOptions,
} from './cloudwatch-receiver.js'
import { startDynamo, type DynamoEngine, type LocalDynamo } from './dynamo.js'
import { startKinesis, type KinesisEngine, type LocalKinesis } from './kinesis.js'
import { localCredentials, localRegion } from './local-env.js'

/** Options of {@link startLocalAws}: which emulators to run (`false` for none). */
export interface StartLocalAwsOptions {
  /** @defaultValue 'kinesis-local' */
  readonly kinesis?: KinesisEngine | false
  /** @defaultValue 'dynalite' */
  readonly dynamo?: DynamoEngine | false
  /** Run the CloudWatch receiver; an object runs it with those options. @defaultValue true */
  readonly cloudwatch?: boolean | StartCloudWatchOptions
}

/** Everything {@link startLocalAws} started, with a client for each. */
export interface LocalAws {
  readonly kinesis?: LocalKinesis
  readonly dynamo?: LocalDynamo
  readonly cloudwatch?: CloudWatchReceiver
  /** One client per running emulator (HTTP/1.1; build an HTTP/2 one with kinesisClient for SubscribeToShard). */
  readonly clients: {
    readonly kinesis?: KinesisClient
    readonly dynamo?: DynamoDBClient
    readonly cloudwatch?: CloudWatchClient
  }
  /** Environment for a process that should use these emulators (service endpoints, dummy credentials, region). */
  readonly env: Record<string, string>
  /** Destroys the clients and stops every emulator. Idempotent. */
  stop(): Promise<void>
}

/**
 * Starts the chosen emulators side by side. If one fails to start, the others are stopped and the
 * first error is thrown.
 */
export async function startLocalAws(options: StartLocalAwsOptions = {}): Promise<LocalAws> {
  const kinesisEngine = options.kinesis ?? 'kinesis-local'
  const dynamoEngine = options.dynamo ?? 'dynalite'
  const [kinesis, dynamo, cloudwatch] = await Promise.allSettled([
    kinesisEngine === false ? undefined : startKinesis({ engine: kinesisEngine }),
    dynamoEngine === false ? undefined : startDynamo({ engine: dynamoEngine }),
    options.cloudwatch === false
      ? undefined
      : startCloudWatch(options.cloudwatch === true ? {} : options.cloudwatch),
  ])
  const started = [kinesis, dynamo, cloudwatch].flatMap((r) =>
    r.status === 'fulfilled' && r.value !== undefined ? [r.value] : [],
  )
  const failed = [kinesis, dynamo, cloudwatch].find((r) => r.status === 'rejected')
  if (failed !== undefined) {
    await Promise.allSettled(started.map((s) => s.stop()))
    throw failed.reason
  }
  const k = kinesis.status === 'fulfilled' ? kinesis.value : undefined
  const d = dynamo.status === 'fulfilled' ? dynamo.value : undefined
  const c = cloudwatch.status === 'fulfilled' ? cloudwatch.value : undefined

  const clients = {
    ...(k === undefined ? {} : { kinesis: kinesisClient(k.endpoint) }),
    ...(d === undefined ? {} : { dynamo: dynamoClient(d.endpoint) }),
    ...(c === undefined ? {} : { cloudwatch: cloudWatchClient(c.endpoint) }),
  }
  const env: Record<string, string> = {
    ...(k === undefined ? {} : { AWS_ENDPOINT_URL_KINESIS: k.endpoint }),
    ...(d === undefined ? {} : { AWS_ENDPOINT_URL_DYNAMODB: d.endpoint }),
    ...(c === undefined ? {} : { AWS_ENDPOINT_URL_CLOUDWATCH: c.endpoint }),
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    AWS_REGION: localRegion,
    AWS_DEFAULT_REGION: localRegion,
    AWS_EC2_METADATA_DISABLED: 'true',
  }

  let stopping: Promise<void> | undefined
  return {
    ...(k === undefined ? {} : { kinesis: k }),
    ...(d === undefined ? {} : { dynamo: d }),
    ...(c === undefined ? {} : { cloudwatch: c }),
    clients,
    env,
    stop: () =>
      (stopping ??= (async () => {
        clients.kinesis?.destroy()
        clients.dynamo?.destroy()
        clients.cloudwatch?.destroy()
        const results = await Promise.allSettled(started.map((s) => s.stop()))
        const error = results.find((r) => r.status === 'rejected')
        if (error !== undefined) throw error.reason
      })()),
  }
}

/** Shell lines (`export NAME=value`) that point a process at the emulators in `env`. */
export function shellExports(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([name, value]) => `export ${name}=${value}`)
    .join('\n')
}
