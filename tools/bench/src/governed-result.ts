// What the governed contender (default limits) reports, one JSON line on its stdout.

/** One shard's figures under the default limits, printed as JSON by the governed contender. */
export interface GovernedShard {
  readonly shardId: string
  readonly records: number
  readonly getRecordsCalls: number
  readonly getShardIteratorCalls: number
  /** Most GetRecords attempts in any one-second window. */
  readonly maxGetRecordsPerWindow: number
  /** Most GetShardIterator attempts in any one-second window. */
  readonly maxGetShardIteratorPerWindow: number
  /** Most record bytes (data plus partition key) returned in any one-second window. */
  readonly maxBytesPerWindow: number
  /** The largest single response's record bytes. */
  readonly largestResponseBytes: number
  /** Record bytes over the time from the first call to the response that completed the shard. */
  readonly drainBytesPerSecond: number
  /**
   * The bytes paid off by the time the shard was complete: all but the last response's bytes over
   * the same time. Kinesis holds a shard after a response until its bytes are paid off at 2 MB/s,
   * so this is what must stay within 2 MB/s (the last response is paid off after it).
   */
  readonly paidBytesPerSecond: number
  /** Records over the same time. */
  readonly drainRecordsPerSecond: number
  readonly drainMs: number
}

/** The governed contender's whole output. */
export interface GovernedResult {
  readonly limit: number
  readonly idleMs: number
  readonly untracedCalls: number
  readonly shards: readonly GovernedShard[]
}
