import type { Server } from 'node:http'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { startChildOnFreePorts } from './child-service.js'
import { httpProbe } from './http-probe.js'
import { listenOnLoopback, serverStopper } from './in-process-server.js'
import { localRegion, loopbackEndpoint } from './local-env.js'
import { LocalServiceError, type LocalService } from './local-service.js'

const require = createRequire(import.meta.url)

/** Which Kinesis emulator: kinesis-local (faithful: resharding, ChildShards, enhanced fan-out) or kinesalite (fast). */
export type KinesisEngine = 'kinesis-local' | 'kinesalite'

/** Options of {@link startKinesis}. */
export interface StartKinesisOptions {
  /** @defaultValue 'kinesis-local' */
  readonly engine?: KinesisEngine
  /**
   * Where the emulator runs. kinesis-local only as a child process (loaded in-process it takes over
   * `process.exit` and signals).
   * @defaultValue 'child' for kinesis-local, 'in-process' for kinesalite
   */
  readonly mode?: 'child' | 'in-process'
  /** Shards per account before CreateStream/UpdateShardCount fail. @defaultValue 1000 */
  readonly shardLimit?: number
  /**
   * kinesis-local state-change delays, as its environment variables, e.g.
   * `{ SPLIT_SHARD_DURATION: '100ms' }`. Ignored by kinesalite, whose changes are immediate here.
   * @defaultValue {@link defaultKinesisLocalDurations} (every other delay is kinesis-local's own 500ms)
   */
  readonly durations?: Partial<Record<string, string>>
  /** How long to wait for a child emulator to answer. @defaultValue 30000 */
  readonly startTimeoutMs?: number
}

/** A running Kinesis emulator. */
export interface LocalKinesis extends LocalService {
  readonly engine: KinesisEngine
  readonly mode: 'child' | 'in-process'
}

/** kinesis-local delays this package changes: streams are ACTIVE as soon as created. */
export const defaultKinesisLocalDurations: Readonly<Record<string, string>> = Object.freeze({
  CREATE_STREAM_DURATION: '0ms',
})

interface KinesaliteOptions {
  createStreamMs: number
  deleteStreamMs: number
  updateStreamMs: number
  shardLimit: number
}

function validate(engine: KinesisEngine, mode: string, options: StartKinesisOptions): void {
  const problems: string[] = []
  if (engine !== 'kinesis-local' && engine !== 'kinesalite')
    problems.push(`engine must be 'kinesis-local' or 'kinesalite', got ${String(engine)}`)
  if (mode !== 'child' && mode !== 'in-process')
    problems.push(`mode must be 'child' or 'in-process', got ${mode}`)
  if (engine === 'kinesis-local' && mode === 'in-process')
    problems.push('kinesis-local runs only as a child process (mode: child)')
  const shardLimit = options.shardLimit
  if (shardLimit !== undefined && (!Number.isInteger(shardLimit) || shardLimit < 1))
    problems.push(`shardLimit must be a positive integer, got ${shardLimit}`)
  for (const [key, value] of Object.entries(options.durations ?? {})) {
    if (!/^[A-Z_]+_DURATION$/.test(key))
      problems.push(`durations: ${key} is not a kinesis-local *_DURATION variable`)
    if (
      value !== undefined &&
      !/^\d+(\.\d+)?\s*(ms|s|m|millis|milliseconds|seconds?|minutes?)$/.test(value)
    )
      problems.push(`durations: ${key}=${value} is not a duration like 500ms or 1s`)
  }
  if (problems.length > 0)
    throw new LocalServiceError(
      'INVALID_OPTIONS',
      `invalid startKinesis options:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    )
}

async function startKinesisLocal(options: StartKinesisOptions): Promise<LocalKinesis> {
  const dir = dirname(require.resolve('kinesis-local/package.json'))
  const durations = { ...defaultKinesisLocalDurations, ...options.durations }
  const { service, ports } = await startChildOnFreePorts(2, ([plainPort, tlsPort]) => ({
    name: 'kinesis-local',
    command: process.execPath,
    args: [join(dir, 'main.js')],
    cwd: dir,
    env: {
      KINESIS_MOCK_CERT_PATH: join(dir, 'server.json'),
      KINESIS_MOCK_PLAIN_PORT: String(plainPort),
      KINESIS_MOCK_TLS_PORT: String(tlsPort),
      SHARD_LIMIT: String(options.shardLimit ?? 1000),
      AWS_REGION: localRegion,
      LOG_LEVEL: 'WARN',
      // Never write or load state on disk: every start is empty.
      SHOULD_PERSIST_DATA: 'false',
      LOAD_DATA_IF_EXISTS: 'false',
      ...durations,
    },
    probe: () => httpProbe(plainPort ?? 0, { path: '/healthcheck', status: 200 }),
    ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
  }))
  const port = ports[0] ?? 0
  return {
    engine: 'kinesis-local',
    mode: 'child',
    endpoint: loopbackEndpoint(port),
    port,
    pid: service.pid,
    stop: () => service.stop(),
  }
}

async function startKinesaliteChild(options: StartKinesisOptions): Promise<LocalKinesis> {
  const cli = require.resolve('kinesalite/cli.js')
  const { service, ports } = await startChildOnFreePorts(1, ([port]) => ({
    name: 'kinesalite',
    command: process.execPath,
    // --port 0 would mean its default 4567, so the port is chosen here.
    args: [
      cli,
      '--port',
      String(port),
      '--createStreamMs',
      '0',
      '--deleteStreamMs',
      '0',
      '--updateStreamMs',
      '0',
      '--shardLimit',
      String(options.shardLimit ?? 1000),
    ],
    probe: () => httpProbe(port ?? 0),
    ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
  }))
  const port = ports[0] ?? 0
  return {
    engine: 'kinesalite',
    mode: 'child',
    endpoint: loopbackEndpoint(port),
    port,
    pid: service.pid,
    stop: () => service.stop(),
  }
}

async function startKinesaliteInProcess(options: StartKinesisOptions): Promise<LocalKinesis> {
  const kinesalite = require('kinesalite') as (options: KinesaliteOptions) => Server
  const server = kinesalite({
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: options.shardLimit ?? 1000,
  })
  const port = await listenOnLoopback(server)
  return {
    engine: 'kinesalite',
    mode: 'in-process',
    endpoint: loopbackEndpoint(port),
    port,
    stop: serverStopper(server),
  }
}

/**
 * Starts a Kinesis emulator on an ephemeral loopback port; resolves once it answers.
 * Rejects with a {@link LocalServiceError} (with the child's output) if it does not come up.
 */
export async function startKinesis(options: StartKinesisOptions = {}): Promise<LocalKinesis> {
  const engine = options.engine ?? 'kinesis-local'
  const mode = options.mode ?? (engine === 'kinesalite' ? 'in-process' : 'child')
  validate(engine, mode, options)
  if (engine === 'kinesis-local') return startKinesisLocal(options)
  return mode === 'child' ? startKinesaliteChild(options) : startKinesaliteInProcess(options)
}
