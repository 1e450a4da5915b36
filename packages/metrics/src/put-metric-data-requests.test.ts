import { describe, expect, it } from 'vitest'
import type { AggregatedDatum } from './metric-buffer.js'
import { buildPutMetricDataRequests } from './put-metric-data-requests.js'

function datum(i: number, values: number[] | undefined): AggregatedDatum {
  return {
    name: 'ProcessingTime',
    unit: 'Milliseconds',
    dimensions: [
      { Name: 'StreamName', Value: 'orders' },
      { Name: 'ShardId', Value: `shardId-${String(i).padStart(12, '0')}` },
    ],
    timestamp: Date.UTC(2026, 0, 1),
    sampleCount: values?.length ?? 7,
    sum: values?.reduce((a, b) => a + b, 0) ?? 70,
    min: values === undefined ? 1 : Math.min(...values),
    max: values === undefined ? 19 : Math.max(...values),
    values,
    counts: values?.map(() => 1),
  }
}

/** Size of the body the SDK's JSON 1.0 serializer would send (timestamps as epoch seconds). */
function jsonSize(input: unknown): number {
  return Buffer.byteLength(
    JSON.stringify(input, (_key, value: unknown) =>
      value instanceof Date ? value.getTime() / 1000 : value,
    ),
  )
}

describe('buildPutMetricDataRequests', () => {
  it('puts at most 1,000 data in a request: 2,500 data make 3 requests', () => {
    const data = Array.from({ length: 2500 }, (_, i) => datum(i, undefined))
    const requests = buildPutMetricDataRequests('Orders', data)
    expect(requests.map((r) => r.input.MetricData!.length)).toEqual([1000, 1000, 500])
    expect(requests.every((r) => r.input.Namespace === 'Orders')).toBe(true)
    expect(requests.reduce((n, r) => n + r.values, 0)).toBe(2500 * 7)
    expect(requests[0]!.input.MetricData![0]).toEqual({
      MetricName: 'ProcessingTime',
      Dimensions: [
        { Name: 'StreamName', Value: 'orders' },
        { Name: 'ShardId', Value: 'shardId-000000000000' },
      ],
      Timestamp: new Date(Date.UTC(2026, 0, 1)),
      Unit: 'Milliseconds',
      StatisticValues: { SampleCount: 7, Sum: 70, Minimum: 1, Maximum: 19 },
    })
  })

  it('keeps every request under 1 MB, splitting by size before the 1,000-data limit', () => {
    // 150 distinct values with long decimal expansions: about 3.3 KB of JSON per datum, so
    // 1,000 data (one request by count) are 3.3 MB: at least 4 requests by size.
    const values = Array.from({ length: 150 }, (_, i) => i + 1 / 3 + 1e-9 * i)
    const data = Array.from({ length: 1000 }, (_, i) => datum(i, values))
    const requests = buildPutMetricDataRequests('Orders', data)
    expect(requests.length).toBeGreaterThanOrEqual(4)
    for (const r of requests) {
      expect(r.input.MetricData!.length).toBeLessThan(1000)
      expect(jsonSize(r.input)).toBeLessThanOrEqual(1_000_000)
    }
    expect(requests.flatMap((r) => r.input.MetricData!)).toHaveLength(1000)
    expect(requests.reduce((n, r) => n + r.values, 0)).toBe(1000 * 150)
  })

  it('splits a datum of more than 150 values into several, keeping every value and count', () => {
    const values = Array.from({ length: 320 }, (_, i) => i)
    const requests = buildPutMetricDataRequests('Orders', [datum(1, values)])
    const parts = requests.flatMap((r) => r.input.MetricData!)
    expect(parts.map((p) => p.Values!.length)).toEqual([150, 150, 20])
    expect(parts.map((p) => p.Counts!.length)).toEqual([150, 150, 20])
    expect(parts.flatMap((p) => p.Values!)).toEqual(values)
    expect(
      parts.every((p) => p.MetricName === 'ProcessingTime' && p.StatisticValues === undefined),
    ).toBe(true)
  })

  it('makes no request for no data', () => {
    expect(buildPutMetricDataRequests('Orders', [])).toEqual([])
  })
})
