// What the KPL decoder comparison reports, one JSON line on its stdout.

/** One size of user record: the same aggregates decoded by both decoders (medians of the rounds). */
export interface KplShape {
  readonly recordBytes: number
  readonly aggregates: number
  readonly userRecords: number
  /** Total size of the aggregates (what GetRecords would return). */
  readonly aggregateBytes: number
  /** @kine/core deaggregateInto (always checks the MD5 digest). */
  readonly kineMs: number
  /** aws-kinesis-agg deaggregateSync with computeChecksums true (the same checks as kine). */
  readonly awsAggMs: number
  /** aws-kinesis-agg deaggregateSync with computeChecksums false. */
  readonly awsAggNoChecksumMs: number
}

/** The whole comparison. */
export interface KplResult {
  readonly rounds: number
  readonly shapes: readonly KplShape[]
}
