// The public worker: `new Consumer(options)`, `start()`, `stop()`, events. The machinery lives in
// worker.ts and its parts (see the header of worker.ts); this class is the stable surface.

import type { ConsumerEvents, ConsumerListener } from './context.js'
import type { LeasePhase } from './held-lease.js'
import { resolveOptions, type ConsumerOptions } from './options.js'
import { Worker } from './worker.js'

/** A lease this Consumer holds, as {@link Consumer.leases} reports it. */
export interface HeldLeaseInfo {
  readonly shardId: string
  /** `running`, `handoff-in` (waiting for the previous owner), `handoff-out`, `stopping`. */
  readonly phase: LeasePhase
}

/**
 * Consumes a Kinesis stream together with any number of other workers (on any machines) that use
 * the same lease table: each shard is read in order by one worker at a time, progress is
 * checkpointed, parents are finished before their children, and shares settle fairly.
 *
 * ```ts
 * const consumer = new Consumer({ streamName, tableName, kinesis, dynamodb, async processRecords(records, ctx) { ... } })
 * await consumer.start()
 * // ...
 * await consumer.stop()
 * ```
 */
export class Consumer {
  readonly #worker: Worker

  /** @throws InvalidConfigError listing every problem with `options` */
  constructor(options: ConsumerOptions) {
    this.#worker = new Worker(resolveOptions(options))
  }

  /** This worker's id, written as `leaseOwner` on the leases it holds. */
  get workerId(): string {
    return this.#worker.workerId
  }

  /**
   * Ensures the lease table (creating it if missing), makes the first scan and takes a first share
   * of leases, then keeps running in the background. Resolves once running. Transient AWS errors
   * are retried; rejects on what retrying cannot fix (access denied, a table that is not a lease
   * table) and when called a second time: a Consumer runs once.
   */
  start(): Promise<void> {
    return this.#worker.start()
  }

  /**
   * Stops reading, lets in-flight batches finish (up to `stopTimeoutMs`), checkpoints, and
   * releases every lease so other workers take them at their next scan. Resolves when done;
   * calling it again returns the same promise. Aborting the `signal` option does the same.
   */
  stop(): Promise<void> {
    return this.#worker.stop()
  }

  /** The leases held now. */
  leases(): HeldLeaseInfo[] {
    return this.#worker.held()
  }

  /** Listens to an event (see {@link ConsumerEvents}); returns a function that stops listening. */
  on<E extends keyof ConsumerEvents>(event: E, listener: ConsumerListener<E>): () => void {
    return this.#worker.events.on(event, listener)
  }
}
