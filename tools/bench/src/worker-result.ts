// What the worker contender reports beside the totals every contender reports.
import type { ContenderResult, ReadTotals } from './contender.js'
import type { GovernedShard } from './governed-result.js'

/** The worker's totals: DynamoDB traffic comes on top of the reading. */
export interface WorkerTotals extends ReadTotals {
  /** 'unlimited' (the throughput comparison) or 'default' (the Kinesis limits). */
  readonly readerLimits: 'unlimited' | 'default'
  /** DynamoDB request attempts during the read phase, by operation (UpdateItem, Scan, ...). */
  readonly dynamoRequests: Readonly<Record<string, number>>
  /** All of them per second of the read phase. */
  readonly dynamoRequestsPerSecond: number
  /** With the default limits: each shard's calls and bytes per one-second window. */
  readonly governed?: readonly GovernedShard[]
  /** With the default limits: calls not traced to a shard (0 unless the tracing is broken). */
  readonly untracedCalls?: number
}

/** One worker run as printed by the contender. */
export type WorkerResult = ContenderResult & WorkerTotals
