// What every part of the worker shares: its options, identity, log, events, lease store and the
// leases it holds. The Worker builds one; the parts (holder writes, handoff, shard end, scanner)
// take it rather than the Worker, so each can be read and tested on its own.

import type { Logger, MetricDimensions } from '@kine/core'
import type { ConsumerEmitter } from './events.js'
import type { HeldLeases } from './held-leases.js'
import type { LeaseStore } from './lease-store.js'
import type { ResolvedOptions } from './options.js'

/** The state and services the worker's parts share. */
export interface WorkerContext {
  readonly options: ResolvedOptions
  /** Written as `leaseOwner` on every lease this worker holds. */
  readonly workerId: string
  readonly logger: Logger
  readonly events: ConsumerEmitter
  readonly store: LeaseStore
  readonly held: HeldLeases
  /** StreamName and WorkerId: the dimensions of the worker's own metrics. */
  readonly workerDims: MetricDimensions
  /** From `initialPosition: { timestamp }`: where an `AT_TIMESTAMP` lease starts. */
  readonly timestamp: Date | undefined
}
