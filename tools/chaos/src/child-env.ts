// How the orchestrator configures a fleet's child process (a worker or Sync, of a chaos scenario or
// of `pnpm demo`): endpoints (the proxies, or the emulators themselves), names and timings travel
// as environment variables; messages go back over IPC, awaited, so a message is in the pipe (which
// outlives a SIGKILLed sender) before the caller goes on.
import type { LogLevel } from '@kine/core'
import type { WorkerMessage } from './messages.js'

export interface ChildEnv {
  readonly kinesisEndpoint: string
  readonly dynamoEndpoint: string
  readonly streamName: string
  readonly tableName: string
  readonly workerId: string
  readonly leaseDurationMs: number
  readonly syncIntervalMs: number
  readonly logLevel: LogLevel
}

const VARS = {
  kinesisEndpoint: 'KINE_CHAOS_KINESIS',
  dynamoEndpoint: 'KINE_CHAOS_DYNAMODB',
  streamName: 'KINE_CHAOS_STREAM',
  tableName: 'KINE_CHAOS_TABLE',
  workerId: 'KINE_CHAOS_WORKER_ID',
  leaseDurationMs: 'KINE_CHAOS_LEASE_MS',
  syncIntervalMs: 'KINE_CHAOS_SYNC_INTERVAL_MS',
  logLevel: 'KINE_CHAOS_LOG_LEVEL',
} as const

/** The environment that gives a child `env`, plus dummy credentials and no metadata lookups. */
export function childEnvVars(env: ChildEnv): Record<string, string> {
  return {
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: 'kinechaos',
    AWS_SECRET_ACCESS_KEY: 'kinechaos',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    [VARS.kinesisEndpoint]: env.kinesisEndpoint,
    [VARS.dynamoEndpoint]: env.dynamoEndpoint,
    [VARS.streamName]: env.streamName,
    [VARS.tableName]: env.tableName,
    [VARS.workerId]: env.workerId,
    [VARS.leaseDurationMs]: String(env.leaseDurationMs),
    [VARS.syncIntervalMs]: String(env.syncIntervalMs),
    [VARS.logLevel]: env.logLevel,
  }
}

export function readChildEnv(): ChildEnv {
  const need = (name: string): string => {
    const value = process.env[name]
    if (!value)
      throw new Error(
        `${name} is not set: this process is started by \`pnpm chaos\` or \`pnpm demo\``,
      )
    return value
  }
  return {
    kinesisEndpoint: need(VARS.kinesisEndpoint),
    dynamoEndpoint: need(VARS.dynamoEndpoint),
    streamName: need(VARS.streamName),
    tableName: need(VARS.tableName),
    workerId: need(VARS.workerId),
    leaseDurationMs: Number(need(VARS.leaseDurationMs)),
    syncIntervalMs: Number(need(VARS.syncIntervalMs)),
    logLevel: need(VARS.logLevel) as LogLevel,
  }
}

export function sendToParent(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      reject(new Error('not started by a scenario runner (no IPC channel)'))
      return
    }
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()))
  })
}
