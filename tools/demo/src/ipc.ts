// Sending over a forked child's IPC channel, awaited: the message is in the pipe (which outlives
// a SIGKILLed sender) before the caller goes on.
import type { WorkerMessage } from './messages.js'

export function sendToParent(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      reject(new Error('not started by the demo (no IPC channel)'))
      return
    }
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()))
  })
}

/** Endpoints and names a demo child process is started with. */
export interface ChildEnv {
  readonly kinesisEndpoint: string
  readonly dynamoEndpoint: string
  readonly streamName: string
  readonly tableName: string
  readonly workerId: string
}

export function readChildEnv(): ChildEnv {
  const need = (name: string): string => {
    const value = process.env[name]
    if (!value) throw new Error(`${name} is not set: run this through \`pnpm demo\``)
    return value
  }
  return {
    kinesisEndpoint: need('KINE_DEMO_KINESIS'),
    dynamoEndpoint: need('KINE_DEMO_DYNAMODB'),
    streamName: need('KINE_DEMO_STREAM'),
    tableName: need('KINE_DEMO_TABLE'),
    workerId: process.env.KINE_DEMO_WORKER_ID ?? 'sync',
  }
}
