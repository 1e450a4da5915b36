// The metrics contract: the worker, Sync and reader record through a MetricsSink (none given:
// nothing is recorded); @kine/metrics turns the records into CloudWatch data.

/** CloudWatch units kine's metrics use. */
export type MetricUnit = 'Count' | 'Milliseconds' | 'Bytes'

/** Dimension values by name. Recorders pass every dimension they know; sinks drop what their level excludes. */
export type MetricDimensions = Readonly<Partial<Record<MetricDimensionName, string>>>

/** The dimensions kine attaches. `ShardId` is kept only at the detailed level. */
export type MetricDimensionName = 'StreamName' | 'ShardId' | 'WorkerId'

export interface MetricsSink {
  /**
   * Records one value. Must be synchronous and cheap: it is called on the record-processing path,
   * so a sink buffers and sends in the background.
   */
  record(name: MetricName, value: number, unit: MetricUnit, dimensions: MetricDimensions): void
}

/** A sink that drops everything; what the worker and Sync use when no `metrics` option is given. */
export const noopMetrics: MetricsSink = { record: () => {} }

/** The name of a metric kine reports. */
export type MetricName =
  | 'MillisBehindLatest'
  | 'ShardIteratorAgeInMs'
  | 'RecordsProcessed'
  | 'BytesProcessed'
  | 'ProcessingTime'
  | 'GetRecords.Calls'
  | 'GetRecords.Throttled'
  | 'GetRecords.Errors'
  | 'ExpiredIterators'
  | 'Checkpoints'
  | 'CheckpointTime'
  | 'LeasesHeld'
  | 'LeasesTaken'
  | 'LeasesLost'
  | 'LeasesHandedOff'
  | 'BlockedOnParent'
  | 'SlowHandlers'
  | 'MalformedResponses'
  | 'FanOut.Subscriptions'
  | 'FanOut.Resubscriptions'
  | 'FanOut.Events'
  | 'Sync.Created'
  | 'Sync.Deleted'

export interface MetricDefinition {
  readonly unit: MetricUnit
  /** Dimensions the metric carries (before a sink's level removes any). */
  readonly dimensions: readonly MetricDimensionName[]
  readonly description: string
}

/** Every metric kine reports, with its unit and dimensions (DESIGN.md, "Metrics"). */
export const METRICS: Readonly<Record<MetricName, MetricDefinition>> = {
  MillisBehindLatest: {
    unit: 'Milliseconds',
    dimensions: ['StreamName', 'ShardId'],
    description: 'MillisBehindLatest from each GetRecords response or fan-out event',
  },
  ShardIteratorAgeInMs: {
    unit: 'Milliseconds',
    dimensions: ['StreamName', 'ShardId'],
    description: "now minus the batch's first record's arrival time",
  },
  RecordsProcessed: {
    unit: 'Count',
    dimensions: ['StreamName', 'ShardId'],
    description: 'records delivered to the handler and completed',
  },
  BytesProcessed: {
    unit: 'Bytes',
    dimensions: ['StreamName', 'ShardId'],
    description: 'record data bytes delivered to the handler and completed',
  },
  ProcessingTime: {
    unit: 'Milliseconds',
    dimensions: ['StreamName', 'ShardId'],
    description: 'handler time per batch',
  },
  'GetRecords.Calls': {
    unit: 'Count',
    dimensions: ['StreamName', 'ShardId'],
    description: 'GetRecords attempts, SDK retries included',
  },
  'GetRecords.Throttled': {
    unit: 'Count',
    dimensions: ['StreamName', 'ShardId'],
    description: 'GetRecords attempts refused for throughput',
  },
  'GetRecords.Errors': {
    unit: 'Count',
    dimensions: ['StreamName', 'ShardId'],
    description: 'GetRecords attempts that failed otherwise',
  },
  ExpiredIterators: {
    unit: 'Count',
    dimensions: ['StreamName', 'ShardId'],
    description: 'shard iterators that expired and were renewed',
  },
  Checkpoints: {
    unit: 'Count',
    dimensions: ['StreamName', 'ShardId'],
    description: 'fenced checkpoint writes',
  },
  CheckpointTime: {
    unit: 'Milliseconds',
    dimensions: ['StreamName', 'ShardId'],
    description: 'time of a fenced checkpoint write',
  },
  LeasesHeld: {
    unit: 'Count',
    dimensions: ['StreamName', 'WorkerId'],
    description: 'leases this worker holds',
  },
  LeasesTaken: {
    unit: 'Count',
    dimensions: ['StreamName', 'WorkerId'],
    description: 'leases taken (free, expired or by handoff)',
  },
  LeasesLost: {
    unit: 'Count',
    dimensions: ['StreamName', 'WorkerId'],
    description: 'leases lost to another worker or expiry',
  },
  LeasesHandedOff: {
    unit: 'Count',
    dimensions: ['StreamName', 'WorkerId'],
    description: 'leases given up in a cooperative handoff',
  },
  SlowHandlers: {
    unit: 'Count',
    dimensions: ['StreamName', 'ShardId'],
    description: 'handlers that ran longer than maxProcessTimeMs',
  },
  MalformedResponses: {
    unit: 'Count',
    dimensions: ['StreamName', 'ShardId'],
    description:
      'well-formed answers that lacked a field the API always returns, retried (ShardId where the call concerned one shard)',
  },
  'FanOut.Subscriptions': {
    unit: 'Count',
    dimensions: ['StreamName', 'ShardId'],
    description: 'SubscribeToShard subscriptions opened (enhanced fan-out)',
  },
  'FanOut.Resubscriptions': {
    unit: 'Count',
    dimensions: ['StreamName', 'ShardId'],
    description:
      'subscriptions opened after an earlier one of the same read ended or failed, from where it stopped',
  },
  'FanOut.Events': {
    unit: 'Count',
    dimensions: ['StreamName', 'ShardId'],
    description: 'well-formed SubscribeToShard events received, empty ones included',
  },
  BlockedOnParent: {
    unit: 'Count',
    dimensions: ['StreamName', 'ShardId'],
    description: 'shards waiting for a parent to finish',
  },
  'Sync.Created': {
    unit: 'Count',
    dimensions: ['StreamName'],
    description: 'leases created per Sync pass',
  },
  'Sync.Deleted': {
    unit: 'Count',
    dimensions: ['StreamName'],
    description: 'finished leases deleted per Sync pass',
  },
}
