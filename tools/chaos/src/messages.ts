// What a fleet's worker process (a chaos scenario's or the demo's) tells the orchestrator over its
// IPC channel. A worker awaits each send before its handler returns, so a record is in the ledger
// before it can be checkpointed.

/** One delivered user record, reduced to what the ledger checks. */
export interface DeliveredRecord {
  readonly key: string
  readonly n: number
  /** Where the record sits in its shard (the demo's live view); the ledger does not need it. */
  readonly sequenceNumber?: string
  readonly subSequenceNumber?: number
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
  /** A worker stopped gracefully (SIGTERM): drained, checkpointed and released its leases. */
  | { readonly type: 'stopped'; readonly workerId: string }

/** The payload the producer writes: a partition key and that key's running number. */
export interface ChaosPayload {
  readonly key: string
  readonly n: number
}
