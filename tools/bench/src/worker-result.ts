// What the worker contender reports beside the totals every contender reports.
import type { ContenderResult, ReadTotals } from './contender.js'

/** The worker's totals: DynamoDB traffic comes on top of the reading. */
export interface WorkerTotals extends ReadTotals {
  /** 'unlimited' (the throughput comparison) or 'default' (the Kinesis limits). */
  readonly readerLimits: 'unlimited' | 'default'
  /** DynamoDB request attempts during the read phase, by operation (UpdateItem, Scan, ...). */
  readonly dynamoRequests: Readonly<Record<string, number>>
  /** All of them per second of the read phase. */
  readonly dynamoRequestsPerSecond: number
}

/** One worker run as printed by the contender. */
export type WorkerResult = ContenderResult & WorkerTotals
