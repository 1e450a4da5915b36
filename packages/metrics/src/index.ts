// @kine/metrics: CloudWatch adapters for kine's MetricsSink (PutMetricData and Embedded Metric Format).
export {
  CloudWatchMetrics,
  DEFAULT_MAX_RETRIES,
  DEFAULT_RETRY_BASE_DELAY_MS,
  type CloudWatchMetricsOptions,
} from './cloudwatch-metrics.js'
export { EmfMetrics, type EmfMetricsOptions, type EmfOutput } from './emf-metrics.js'
export {
  DEFAULT_FLUSH_INTERVAL_MS,
  DEFAULT_LEVEL,
  DEFAULT_MAX_BUFFERED_DATA,
  type MetricsLevel,
  type MetricsOptions,
} from './options.js'
export type { MetricsStats } from './stats.js'
