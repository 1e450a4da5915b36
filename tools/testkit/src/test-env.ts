// One Kinesis and one DynamoDB emulator per test file (or describe block), with a client for each.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import {
  dynamoClient,
  kinesisClient,
  startDynamo,
  startKinesis,
  type DynamoEngine,
  type KinesisEngine,
} from '@kine-tools/local'
import { afterAll, beforeAll } from 'vitest'

/** Running emulators and a client of each. */
export interface TestEnv {
  readonly kinesisEndpoint: string
  readonly dynamoEndpoint: string
  readonly kinesis: KinesisClient
  readonly dynamodb: DynamoDBClient
  /** Destroys the clients and stops both emulators. */
  stop(): Promise<void>
}

/** Options of {@link startEnv} and {@link useEnv}. */
export interface StartEnvOptions {
  /** @defaultValue `'kinesis-local'` */
  readonly kinesis?: KinesisEngine
  /** @defaultValue `'dynalite'` */
  readonly dynamo?: DynamoEngine
  /**
   * kinesis-local state-change delays, e.g. `{ SPLIT_SHARD_DURATION: '100ms' }`.
   * @defaultValue @kine-tools/local's defaults
   */
  readonly durations?: Record<string, string>
}

/** Starts both emulators side by side and makes a client for each. */
export async function startEnv(options: StartEnvOptions = {}): Promise<TestEnv> {
  const [k, d] = await Promise.all([
    startKinesis({
      engine: options.kinesis ?? 'kinesis-local',
      ...(options.durations ? { durations: options.durations } : {}),
    }),
    startDynamo({ engine: options.dynamo ?? 'dynalite' }),
  ])
  const kinesis = kinesisClient(k.endpoint)
  const dynamodb = dynamoClient(d.endpoint)
  return {
    kinesisEndpoint: k.endpoint,
    dynamoEndpoint: d.endpoint,
    kinesis,
    dynamodb,
    async stop() {
      kinesis.destroy()
      dynamodb.destroy()
      await Promise.all([k.stop(), d.stop()])
    },
  }
}

/**
 * Starts a {@link TestEnv} in `beforeAll` and stops it in `afterAll` of the file or describe block
 * it is called in. The returned env reads the started one: use it in tests and later hooks.
 */
export function useEnv(options: StartEnvOptions = {}): TestEnv {
  let env: TestEnv | undefined
  beforeAll(async () => {
    env = await startEnv(options)
  })
  afterAll(async () => {
    await env?.stop()
  })
  const started = (): TestEnv => {
    if (env === undefined) throw new Error('useEnv: the emulators are not started (yet)')
    return env
  }
  return {
    get kinesisEndpoint() {
      return started().kinesisEndpoint
    },
    get dynamoEndpoint() {
      return started().dynamoEndpoint
    },
    get kinesis() {
      return started().kinesis
    },
    get dynamodb() {
      return started().dynamodb
    },
    stop: () => started().stop(),
  }
}
