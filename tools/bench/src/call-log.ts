// Counts every GetRecords and GetShardIterator attempt per shard, with the record bytes of each
// GetRecords response, from outside the reader: a middleware on the client, below the SDK's retry
// middleware, so the SDK's own retries are counted too. GetRecords names no shard, so each shard
// iterator is traced back to the shard it was issued for.
import type { KinesisClient } from '@aws-sdk/client-kinesis'

/** What one shard saw: attempt times and responses, in milliseconds of performance.now(). */
export interface ShardCallLog {
  /** When each GetRecords attempt went out. */
  readonly getRecords: number[]
  /** When each GetShardIterator attempt went out. */
  readonly getShardIterator: number[]
  /** When each GetRecords response came in, and its record bytes (data plus partition key). */
  readonly responses: { readonly at: number; readonly bytes: number }[]
}

interface IteratorInput {
  readonly ShardId?: string
  readonly ShardIterator?: string
}

interface IteratorOutput {
  readonly ShardIterator?: string
  readonly NextShardIterator?: string
  readonly Records?: readonly { readonly Data?: Uint8Array; readonly PartitionKey?: string }[]
}

/** A per-shard log of the calls `client` makes, filled in as they happen. */
export class CallLog {
  readonly #shards = new Map<string, ShardCallLog>()
  readonly #iteratorShard = new Map<string, string>()
  #untraced = 0

  /** Adds the counting middleware to `client` (a client of the benchmark's own). */
  attach(client: KinesisClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = context.commandName
        if (operation !== 'GetRecordsCommand' && operation !== 'GetShardIteratorCommand')
          return next(args)
        const input = args.input as IteratorInput
        const shardId =
          operation === 'GetShardIteratorCommand'
            ? input.ShardId
            : this.#iteratorShard.get(input.ShardIterator ?? '')
        if (shardId === undefined) this.#untraced++
        const log = shardId === undefined ? undefined : this.shard(shardId)
        if (operation === 'GetShardIteratorCommand') log?.getShardIterator.push(performance.now())
        else log?.getRecords.push(performance.now())
        const result = await next(args)
        const output = result.output as IteratorOutput
        if (shardId !== undefined) {
          const nextIterator = output.ShardIterator ?? output.NextShardIterator
          if (nextIterator !== undefined) this.#iteratorShard.set(nextIterator, shardId)
        }
        if (operation === 'GetRecordsCommand') {
          this.#iteratorShard.delete(input.ShardIterator ?? '')
          let bytes = 0
          for (const r of output.Records ?? [])
            bytes += (r.Data?.byteLength ?? 0) + (r.PartitionKey?.length ?? 0)
          log?.responses.push({ at: performance.now(), bytes })
        }
        return result
      },
      // Priority low in finalizeRequest: inside the retry middleware (high), so once per attempt.
      { step: 'finalizeRequest', priority: 'low', name: 'benchCallLog' },
    )
  }

  /** The log of one shard (created empty on first use). */
  shard(shardId: string): ShardCallLog {
    let log = this.#shards.get(shardId)
    if (log === undefined) {
      log = { getRecords: [], getShardIterator: [], responses: [] }
      this.#shards.set(shardId, log)
    }
    return log
  }

  /** Attempts that could not be traced to a shard (0 unless the tracing itself is broken). */
  get untraced(): number {
    return this.#untraced
  }
}
