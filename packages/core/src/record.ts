// The record shape handed to applications by the worker and the CLI. `data` is the SDK's own
// bytes (never copied on the hot path); a KPL aggregate arrives as its user records.

/** One user record as kine delivers it. */
export interface KineRecord {
  /** The record's payload, as the bytes Kinesis returned (a view, not a copy). */
  readonly data: Uint8Array
  readonly partitionKey: string
  /** The Kinesis sequence number; the records of one KPL aggregate share it. */
  readonly sequenceNumber: string
  /** Position inside a KPL aggregate (0, 1, ...); 0 for a record that was not aggregated. */
  readonly subSequenceNumber: number
  /** When Kinesis accepted the record (approximate, from the service). */
  readonly approximateArrivalTimestamp: Date
  /** The explicit hash key a KPL user record carried, if any. */
  readonly explicitHashKey?: string
  /** True when the record came out of a KPL aggregate. */
  readonly aggregated: boolean
  /** The shard the record was read from. */
  readonly shardId: string
}
