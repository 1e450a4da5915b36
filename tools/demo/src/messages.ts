// What the demo's worker processes tell the orchestrator over their IPC channel. A worker awaits
// each send before its handler returns, so a record is in the ledger before it can be checkpointed.

/** One delivered user record, reduced to what the ledger checks. */
export interface DeliveredRecord {
  readonly key: string
  readonly n: number
  readonly sequenceNumber: string
  readonly subSequenceNumber: number
}

export type WorkerMessage =
  | { readonly type: 'ready'; readonly workerId: string }
  | {
      readonly type: 'records'
      readonly workerId: string
      readonly shardId: string
      readonly records: readonly DeliveredRecord[]
    }
  | {
      readonly type: 'shard-ended'
      readonly workerId: string
      readonly shardId: string
      readonly childShardIds: readonly string[]
    }
  | {
      readonly type: 'lease'
      readonly workerId: string
      readonly shardId: string
      readonly event: 'taken' | 'lost' | 'released'
    }
  | { readonly type: 'stopped'; readonly workerId: string }

/** The payload the producer writes: a partition key and that key's running number. */
export interface DemoPayload {
  readonly key: string
  readonly n: number
}
