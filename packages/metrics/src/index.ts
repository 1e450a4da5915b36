// @kine/metrics: CloudWatch adapters for kine's MetricsSink (PutMetricData and Embedded Metric
// Format). Every export here is in the README.
export { CloudWatchMetrics, type CloudWatchMetricsOptions } from './cloudwatch-metrics.js'
export { EmfMetrics, type EmfMetricsOptions, type EmfOutput } from './emf-metrics.js'
export type { MetricsLevel, MetricsOptions } from './options.js'
export type { MetricsStats } from './stats.js'
