// Where a lease starts before it has a checkpoint: one type, because @kine/lease's Consumer and
// @kine/sync's Sync both take it and must mean the same thing by it.

/**
 * Where a new lease starts reading (rule 7 of docs/lease-protocol.md): the oldest record still in
 * the shard (`'TRIM_HORIZON'`), only records written from now on (`'LATEST'`), or the first record
 * that arrived at or after a point in time (`{ timestamp }`). The lease table stores only the
 * sentinel (`AT_TIMESTAMP` without the time), so the time itself is configuration.
 */
export type InitialPosition = 'TRIM_HORIZON' | 'LATEST' | { readonly timestamp: Date }
