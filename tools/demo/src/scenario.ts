// The demo's timeline and settings, in one place. Times are seconds from the start of production.

/** Lease duration F of the demo's workers: short, so the killed worker's shards move within the minute. */
export const DEMO_LEASE_DURATION_MS = 6_000
/** The demo's Sync runs often, so the split's and merge's children get leases quickly. */
export const DEMO_SYNC_INTERVAL_MS = 2_000

export const SCENARIO = {
  shards: 4,
  keys: 16,
  /** One PutRecords of one record per key every tick. */
  produceEveryMs: 125,
  splitAt: 10,
  mergeAt: 18,
  killAt: 22,
  restartAt: 28,
  stopProducingAt: 42,
  /** After production stops, how long to wait for the workers to catch up. */
  drainTimeoutS: 45,
} as const
