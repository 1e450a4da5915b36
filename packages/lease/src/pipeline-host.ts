// What a shard's pipeline needs from the worker that runs it: its settings and the few acts that
// touch the lease. The pipeline depends on this, not on the Worker class.

import type { ChildShard } from '@kine/core'
import type { HeldLease } from './held-lease.js'
import type { HandlerFailurePolicy } from './options.js'
import type { WorkerContext } from './worker-context.js'

/** The worker as a shard's pipeline sees it. */
export interface PipelineHost extends Pick<
  WorkerContext,
  'options' | 'workerId' | 'logger' | 'events' | 'timestamp'
> {
  /** Writes the lease's wanted checkpoint if it is ahead of the stored one. */
  flush(h: HeldLease): Promise<void>
  /** Rule 8 after the end hook: the children's leases, then `SHARD_END`. */
  finishShard(h: HeldLease, children: readonly ChildShard[]): Promise<void>
  /** The pipeline has returned; `policy` is set when the handler kept failing. */
  pipelineEnded(
    h: HeldLease,
    policy: Exclude<HandlerFailurePolicy, 'retry-forever'> | undefined,
  ): Promise<void>
  /** A handler has run longer than `maxProcessTimeMs`. */
  slowHandler(h: HeldLease, elapsedMs: number): void
  /** Logs and reports an error the worker carries on after. */
  reportError(error: unknown, shardId?: string): void
}
