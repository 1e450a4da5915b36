import { ManualClock } from '@kine/core'
import { describe, expect, it } from 'vitest'
import { MetricBuffer } from './metric-buffer.js'
import type { MetricsLevel } from './options.js'

const shard = { StreamName: 'orders', ShardId: 'shardId-000000000001', WorkerId: 'w1' }

function buffer(
  options: { level?: MetricsLevel; max?: number; stack?: string; app?: string } = {},
): { buffer: MetricBuffer; clock: ManualClock } {
  const clock = new ManualClock()
  const b = new MetricBuffer({
    level: options.level ?? 'detailed',
    dimensions: options.app === undefined ? [] : [{ Name: 'App', Value: options.app }],
    mapboxKineStack: options.stack,
    maxBufferedData: options.max ?? 10_000,
    clock,
  })
  return { buffer: b, clock }
}

describe('MetricBuffer', () => {
  it('aggregates one datum per name, dimensions and unit, with values and counts', () => {
    const { buffer: b, clock } = buffer()
    b.record('RecordsProcessed', 10, 'Count', shard)
    b.record('RecordsProcessed', 10, 'Count', shard)
    b.record('RecordsProcessed', 3, 'Count', shard)
    b.record('RecordsProcessed', 5, 'Count', { ...shard, ShardId: 'shardId-000000000002' })
    b.record('ProcessingTime', 12, 'Milliseconds', shard)
    b.cut()
    const data = b.take(100)
    expect(data).toHaveLength(3)
    const first = data[0]!
    expect(first).toMatchObject({
      name: 'RecordsProcessed',
      unit: 'Count',
      dimensions: [
        { Name: 'StreamName', Value: 'orders' },
        { Name: 'ShardId', Value: 'shardId-000000000001' },
      ],
      timestamp: clock.wallNow(),
      sampleCount: 3,
      sum: 23,
      min: 3,
      max: 10,
      values: [10, 3],
      counts: [2, 1],
    })
    expect(data[1]).toMatchObject({ name: 'RecordsProcessed', sum: 5, values: [5], counts: [1] })
    expect(data[2]).toMatchObject({ name: 'ProcessingTime', unit: 'Milliseconds', sum: 12 })
    expect(b.take(100)).toEqual([])
  })

  it('keeps only the dimensions core lists for the metric (WorkerId only where it belongs)', () => {
    const { buffer: b } = buffer()
    b.record('LeasesHeld', 4, 'Count', shard)
    b.record('Sync.Created', 2, 'Count', shard)
    b.cut()
    const [held, created] = b.take(10)
    expect(held!.dimensions).toEqual([
      { Name: 'StreamName', Value: 'orders' },
      { Name: 'WorkerId', Value: 'w1' },
    ])
    expect(created!.dimensions).toEqual([{ Name: 'StreamName', Value: 'orders' }])
  })

  it('at the summary level drops ShardId so shards aggregate into one datum per stream', () => {
    const { buffer: b } = buffer({ level: 'summary', app: 'billing' })
    b.record('MillisBehindLatest', 100, 'Milliseconds', shard)
    b.record('MillisBehindLatest', 300, 'Milliseconds', {
      ...shard,
      ShardId: 'shardId-000000000002',
    })
    b.cut()
    const data = b.take(10)
    expect(data).toHaveLength(1)
    expect(data[0]).toMatchObject({
      dimensions: [
        { Name: 'App', Value: 'billing' },
        { Name: 'StreamName', Value: 'orders' },
      ],
      sampleCount: 2,
      sum: 400,
      min: 100,
      max: 300,
    })
  })

  it("at the level 'none' records nothing", () => {
    const { buffer: b } = buffer({ level: 'none' })
    b.record('RecordsProcessed', 1, 'Count', shard)
    b.cut()
    expect(b.take(10)).toEqual([])
    expect(b.recorded).toBe(0)
  })

  it('keeps separate data for the same metric in different units', () => {
    const { buffer: b } = buffer()
    b.record('ProcessingTime', 1, 'Milliseconds', shard)
    b.record('ProcessingTime', 1, 'Count', shard)
    b.cut()
    expect(b.take(10).map((d) => d.unit)).toEqual(['Milliseconds', 'Count'])
  })

  it('falls back to a statistic set past 150 distinct values, keeping count, sum, min and max', () => {
    const { buffer: b } = buffer()
    for (let i = 1; i <= 150; i++) b.record('ProcessingTime', i, 'Milliseconds', shard)
    b.cut()
    const [kept] = b.take(1)
    expect(kept!.values).toHaveLength(150)

    for (let i = 1; i <= 151; i++) b.record('ProcessingTime', i, 'Milliseconds', shard)
    b.cut()
    const [collapsed] = b.take(1)
    expect(collapsed).toMatchObject({
      values: undefined,
      counts: undefined,
      sampleCount: 151,
      sum: (151 * 152) / 2,
      min: 1,
      max: 151,
    })
  })

  it('starts each interval afresh after cut()', async () => {
    const { buffer: b, clock } = buffer()
    b.record('Checkpoints', 1, 'Count', shard)
    b.cut()
    await clock.advance(60_000)
    b.record('Checkpoints', 1, 'Count', shard)
    b.cut()
    const data = b.take(10)
    expect(data.map((d) => d.sampleCount)).toEqual([1, 1])
    expect(data[1]!.timestamp - data[0]!.timestamp).toBe(60_000)
  })

  it('refuses values CloudWatch would reject, and counts them', () => {
    const { buffer: b } = buffer()
    for (const v of [NaN, Infinity, -Infinity, 2 ** 361, 2 ** -300])
      b.record('Checkpoints', v, 'Count', shard)
    b.record('Checkpoints', 0, 'Count', shard)
    b.cut()
    expect(b.invalid).toBe(5)
    expect(b.take(10)).toHaveLength(1)
  })

  it('leaves out dimensions the recorder did not give', () => {
    const { buffer: b } = buffer()
    b.record('RecordsProcessed', 1, 'Count', { StreamName: 'orders' })
    b.record('RecordsProcessed', 1, 'Count', { StreamName: 'orders', ShardId: '' })
    b.cut()
    const data = b.take(10)
    expect(data).toHaveLength(1)
    expect(data[0]!.dimensions).toEqual([{ Name: 'StreamName', Value: 'orders' }])
    expect(data[0]!.sampleCount).toBe(2)
  })

  it('also reports ShardIteratorAgeInMs with mapbox/kine dimensions when a stack is set', () => {
    const { buffer: b } = buffer({ level: 'summary', stack: 'prod', app: 'billing' })
    b.record('ShardIteratorAgeInMs', 250, 'Milliseconds', shard)
    b.record('RecordsProcessed', 1, 'Count', shard)
    b.cut()
    const data = b.take(10)
    expect(data.map((d) => [d.name, d.dimensions])).toEqual([
      [
        'ShardIteratorAgeInMs',
        [
          { Name: 'App', Value: 'billing' },
          { Name: 'StreamName', Value: 'orders' },
        ],
      ],
      [
        'ShardIteratorAgeInMs',
        [
          { Name: 'DeliveryStream', Value: 'orders' },
          { Name: 'ShardId', Value: 'shardId-000000000001' },
          { Name: 'Stack', Value: 'prod' },
        ],
      ],
      [
        'RecordsProcessed',
        [
          { Name: 'App', Value: 'billing' },
          { Name: 'StreamName', Value: 'orders' },
        ],
      ],
    ])
    expect(data[1]!.sum).toBe(250)
  })

  it("reports only the mapbox/kine metric at the level 'none' with a stack", () => {
    const { buffer: b } = buffer({ level: 'none', stack: 'prod' })
    b.record('ShardIteratorAgeInMs', 250, 'Milliseconds', shard)
    b.record('RecordsProcessed', 1, 'Count', shard)
    b.cut()
    expect(b.take(10).map((d) => d.dimensions.map((x) => x.Name))).toEqual([
      ['DeliveryStream', 'ShardId', 'Stack'],
    ])
  })

  it('is bounded: when full it drops the oldest datum and counts its values', () => {
    const { buffer: b } = buffer({ max: 3 })
    const on = (ShardId: string) => ({ StreamName: 's', ShardId })
    b.record('RecordsProcessed', 5, 'Count', on('a'))
    b.record('RecordsProcessed', 5, 'Count', on('a'))
    b.cut() // queued: a (2 values)
    b.record('RecordsProcessed', 1, 'Count', on('b'))
    b.record('RecordsProcessed', 1, 'Count', on('c'))
    expect(b.size).toBe(3)
    b.record('RecordsProcessed', 1, 'Count', on('d')) // full: the queued datum for a goes first
    expect(b.dropped).toBe(2)
    b.record('RecordsProcessed', 1, 'Count', on('e')) // then the oldest open series, b
    expect(b.dropped).toBe(3)
    b.record('RecordsProcessed', 1, 'Count', on('e')) // an existing series needs no room
    expect(b.dropped).toBe(3)
    b.cut()
    const left = b.take(10).map((d) => d.dimensions[1]!.Value)
    expect(left).toEqual(['c', 'd', 'e'])
    expect(b.recorded).toBe(7)
    expect(b.bufferedValues).toBe(0)
  })
})
