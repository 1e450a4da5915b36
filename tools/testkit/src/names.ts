// Names no other test of the run uses, so tests can share one emulator.
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import { createStream } from '@kine-tools/local'

let counter = 0

/** `<prefix>-<pid>-<n>`: unique within the test process. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${++counter}`
}

/** Creates a stream `<prefix>-…` with `shards` shards, and names a table `<prefix>-app-…` for it. */
export async function newStream(
  env: { readonly kinesis: KinesisClient },
  prefix: string,
  shards: number,
): Promise<{ stream: string; table: string }> {
  const stream = uniqueName(prefix)
  const table = uniqueName(`${prefix}-app`)
  await createStream(env.kinesis, stream, shards)
  return { stream, table }
}
