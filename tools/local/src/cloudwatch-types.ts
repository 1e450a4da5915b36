/** The wire protocol a CloudWatch request arrived in. */
export type CloudWatchProtocol = 'json' | 'query' | 'cbor'

/** One metric dimension. */
export interface ReceivedDimension {
  readonly Name: string
  readonly Value: string
}

/** A pre-aggregated statistic set. */
export interface ReceivedStatisticSet {
  readonly SampleCount: number
  readonly Sum: number
  readonly Minimum: number
  readonly Maximum: number
}

/** One metric datum of a PutMetricData request, the same whatever protocol carried it. */
export interface ReceivedDatum {
  /** The request's namespace, repeated here so flattened data keep it. */
  readonly Namespace: string
  readonly MetricName: string
  /** Empty when the datum has none. */
  readonly Dimensions: readonly ReceivedDimension[]
  readonly Unit?: string
  readonly Value?: number
  readonly Values?: readonly number[]
  readonly Counts?: readonly number[]
  readonly StatisticValues?: ReceivedStatisticSet
  readonly Timestamp?: Date
  readonly StorageResolution?: number
}

/** One accepted PutMetricData request. */
export interface ReceivedPutMetricData {
  readonly Namespace: string
  readonly MetricData: readonly ReceivedDatum[]
  readonly protocol: CloudWatchProtocol
  /** True when the body came gzip-compressed. */
  readonly compressed: boolean
  readonly receivedAt: Date
}

/** A GetMetricStatistics request, as the function given to `setStatistics` sees it. */
export interface ReceivedGetMetricStatistics {
  readonly Namespace: string
  readonly MetricName: string
  readonly Dimensions: readonly ReceivedDimension[]
  readonly StartTime: Date
  readonly EndTime: Date
  readonly Period: number
  readonly Statistics: readonly string[]
  readonly ExtendedStatistics: readonly string[]
  readonly Unit?: string
  readonly protocol: CloudWatchProtocol
}

/** One datapoint GetMetricStatistics answers with (the SDK's `Datapoint` fits). */
export interface StatisticsDatapoint {
  /** @defaultValue the time of the request */
  readonly Timestamp?: Date | undefined
  readonly SampleCount?: number | undefined
  readonly Average?: number | undefined
  readonly Sum?: number | undefined
  readonly Minimum?: number | undefined
  readonly Maximum?: number | undefined
  readonly Unit?: string | undefined
  /** Percentiles by name, e.g. `{ p99: 12 }`. */
  readonly ExtendedStatistics?: Readonly<Record<string, number>> | undefined
}

/** A request the receiver answered with an error, injected by `failNext` or for invalid input. */
export interface RejectedRequest {
  readonly operation: string
  readonly protocol: CloudWatchProtocol | 'unknown'
  readonly status: number
  readonly code: string
  readonly message: string
  readonly injected: boolean
}
