// What the app's hooks receive, and the events a Consumer reports. Kept apart from the machinery so
// the public shapes read in one place.

import type { KineRecord, RecordPosition } from '@kine/core'

/** What every per-shard hook receives. */
export interface ShardContext {
  /** The shard. */
  readonly shardId: string
  /** This worker's id (the lease's `leaseOwner`). */
  readonly workerId: string
  /**
   * Aborts the moment this worker must stop acting on the shard (lease lost, handoff deadline,
   * stop timeout, slow-handler release). Pass it to your own I/O; whatever the hook does after it
   * aborted is not checkpointed.
   */
  readonly signal: AbortSignal
}

/** What {@link ConsumerOptions.processRecords} receives besides the records. */
export interface RecordsContext extends ShardContext {
  /** How far behind the shard's tip this batch was, as Kinesis reported it. */
  readonly millisBehindLatest: number | undefined
  /** 1 for the first delivery of this batch, 2 for its first retry, ... */
  readonly attempt: number
  /**
   * Checkpoints at `record` (default: the batch's last record): the shard resumes after it.
   * Resolves once written. A position before the current checkpoint is ignored (a checkpoint never
   * moves backwards); one after the last record delivered is refused with an `InvalidConfigError`. Rejects with
   * a `LeaseLostError` when the lease is gone. Needed only with `checkpointing: 'manual'`.
   */
  checkpoint(record?: KineRecord | RecordPosition): Promise<void>
}

/** What {@link ConsumerOptions.shardEnded} receives. */
export interface ShardEndContext extends ShardContext {
  /** The shards it was split or merged into (empty when it aged out or has none). */
  readonly childShardIds: readonly string[]
}

/** Why a lease is no longer this worker's. */
export type LeaseLostReason = 'taken' | 'expired' | 'handed-off'

/** What {@link ConsumerOptions.leaseLost} and the `leaseLost` event receive. */
export interface LeaseLostInfo {
  readonly shardId: string
  readonly reason: LeaseLostReason
  /** The new owner, when known. */
  readonly newOwner?: string
}

/** The events of a {@link Consumer}, by name, with what a listener receives. */
export interface ConsumerEvents {
  /** A lease was taken (free, expired, or by handoff: `handoff` true). */
  leaseTaken: { readonly shardId: string; readonly handoff: boolean }
  /** A lease was lost; see {@link LeaseLostInfo}. */
  leaseLost: LeaseLostInfo
  /** A lease was released (stop, shard end, failure policy). */
  leaseReleased: { readonly shardId: string }
  /** A shard was processed to its end and `SHARD_END` checkpointed. */
  shardEnded: { readonly shardId: string; readonly childShardIds: readonly string[] }
  /** The handler (or a hook) threw; the batch will be retried unless the policy says otherwise. */
  handlerError: { readonly shardId: string; readonly error: unknown; readonly attempt: number }
  /** A handler has been running longer than `maxProcessTimeMs`. */
  slowHandler: { readonly shardId: string; readonly elapsedMs: number }
  /** A checkpoint was written. */
  checkpoint: {
    readonly shardId: string
    readonly checkpoint: string
    readonly subSequenceNumber: number
  }
  /** The table has held no lease for `noLeasesWarningMs` (is Sync running?). */
  noLeases: { readonly sinceMs: number }
  /** Something went wrong that the Consumer carries on after (it logs it too). */
  error: { readonly error: unknown; readonly shardId?: string }
}

/** A listener of event `E`. */
export type ConsumerListener<E extends keyof ConsumerEvents> = (payload: ConsumerEvents[E]) => void
