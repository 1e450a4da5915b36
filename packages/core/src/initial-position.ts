// Where a lease starts before it has a checkpoint: one type, because @kine/lease's Consumer and
// @kine/sync's Sync both take it and must mean the same thing by it.

/**
 * Where a new lease starts reading (rule 7 of docs/lease-protocol.md): the oldest record still in
 * the shard (`'TRIM_HORIZON'`), only records written from now on (`'LATEST'`), or the first record
 * that arrived at or after a point in time (`{ timestamp }`). The lease table stores only the
 * sentinel (`AT_TIMESTAMP` without the time), so the time itself is configuration.
 */
export type InitialPosition = 'TRIM_HORIZON' | 'LATEST' | { readonly timestamp: Date }

/** The sentinel the lease table stores for a new lease starting at `position` (no time kept). */
export type InitialSentinel = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP'

/** True for `'TRIM_HORIZON'`, `'LATEST'` or `{ timestamp }` with a valid Date: what options accept. */
export function isInitialPosition(value: unknown): value is InitialPosition {
  if (value === 'TRIM_HORIZON' || value === 'LATEST') return true
  if (typeof value !== 'object' || value === null) return false
  const timestamp = (value as { timestamp?: unknown }).timestamp
  return timestamp instanceof Date && Number.isFinite(timestamp.getTime())
}

/** The sentinel stored for `position`: `AT_TIMESTAMP` for `{ timestamp }`. */
export function initialSentinel(position: InitialPosition): InitialSentinel {
  return typeof position === 'object' ? 'AT_TIMESTAMP' : position
}
