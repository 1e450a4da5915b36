// Per-shard traffic from CloudWatch, as the original `kine ls` showed it: the Sum of AWS/Kinesis
// IncomingBytes and OutgoingBytes over the last hour, given per minute. Kinesis publishes these
// only for streams with shard-level ("enhanced") monitoring enabled for that metric.

import { GetMetricStatisticsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch'

/** The shard-level metrics `ls` reads. */
type TrafficMetric = 'IncomingBytes' | 'OutgoingBytes'

/** Average bytes per minute over the last hour; `null` where the metric is not enabled. */
export interface ShardTraffic {
  readonly incomingBytesPerMinute: number | null
  readonly outgoingBytesPerMinute: number | null
}

const HOUR_MS = 3_600_000
// CloudWatch allows 400 GetMetricStatistics calls/s: a few at a time is plenty and polite.
const CONCURRENCY = 8

/** Which of the traffic metrics the stream publishes per shard (from DescribeStreamSummary's EnhancedMonitoring). */
export function enabledTrafficMetrics(shardLevelMetrics: readonly string[]): Set<TrafficMetric> {
  const all = shardLevelMetrics.includes('ALL')
  const enabled = new Set<TrafficMetric>()
  for (const metric of ['IncomingBytes', 'OutgoingBytes'] as const) {
    if (all || shardLevelMetrics.includes(metric)) enabled.add(metric)
  }
  return enabled
}

/** Options of {@link shardTraffic}. */
interface ShardTrafficOptions {
  readonly streamName: string
  readonly shardIds: readonly string[]
  readonly metrics: ReadonlySet<TrafficMetric>
  /** Wall-clock now, in epoch ms (the end of the hour averaged). */
  readonly now: number
}

/** Reads each shard's traffic; one GetMetricStatistics call per shard and enabled metric. */
export async function shardTraffic(
  cloudwatch: CloudWatchClient,
  options: ShardTrafficOptions,
): Promise<Map<string, ShardTraffic>> {
  const end = new Date(options.now)
  const start = new Date(options.now - HOUR_MS)
  const perMinute = async (shardId: string, metric: TrafficMetric): Promise<number | null> => {
    if (!options.metrics.has(metric)) return null
    const answer = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/Kinesis',
        MetricName: metric,
        Dimensions: [
          { Name: 'StreamName', Value: options.streamName },
          { Name: 'ShardId', Value: shardId },
        ],
        StartTime: start,
        EndTime: end,
        Period: 3600,
        Statistics: ['Sum'],
      }),
    )
    // The hour may straddle two period boundaries: add every datapoint's Sum.
    const sum = (answer.Datapoints ?? []).reduce((total, d) => total + (d.Sum ?? 0), 0)
    return sum / 60
  }
  const result = new Map<string, ShardTraffic>()
  const queue = [...options.shardIds]
  const worker = async (): Promise<void> => {
    for (let shardId = queue.shift(); shardId !== undefined; shardId = queue.shift()) {
      const [incoming, outgoing] = await Promise.all([
        perMinute(shardId, 'IncomingBytes'),
        perMinute(shardId, 'OutgoingBytes'),
      ])
      result.set(shardId, { incomingBytesPerMinute: incoming, outgoingBytesPerMinute: outgoing })
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker))
  return result
}
