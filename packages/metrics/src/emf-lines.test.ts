import { describe, expect, it } from 'vitest'
import { writeEmfLines, type EmfLine } from './emf-lines.js'
import type { AggregatedDatum } from './metric-buffer.js'

const dims = [
  { Name: 'App', Value: 'billing' },
  { Name: 'StreamName', Value: 'orders' },
]
const t0 = Date.UTC(2026, 0, 1)

function datum(
  name: string,
  values: number[],
  counts: number[],
  extra: Partial<AggregatedDatum> = {},
): AggregatedDatum {
  const all = values.flatMap((v, i) => Array<number>(counts[i]!).fill(v))
  return {
    name,
    unit: 'Count',
    dimensions: dims,
    timestamp: t0,
    sampleCount: all.length,
    sum: all.reduce((a, b) => a + b, 0),
    min: Math.min(...all),
    max: Math.max(...all),
    values,
    counts,
    ...extra,
  }
}

function lines(data: AggregatedDatum[]): { lines: Record<string, unknown>[]; raw: EmfLine[] } {
  const raw: EmfLine[] = []
  writeEmfLines('Orders', data, (line) => raw.push(line))
  return { lines: raw.map((l) => JSON.parse(l.text) as Record<string, unknown>), raw }
}

describe('writeEmfLines', () => {
  it('writes one line per dimension set, with _aws metadata, dimensions and values as members', () => {
    const { lines: out, raw } = lines([
      datum('RecordsProcessed', [10, 3], [2, 1]),
      { ...datum('ProcessingTime', [42], [1]), unit: 'Milliseconds' },
    ])
    expect(out).toEqual([
      {
        _aws: {
          Timestamp: t0,
          CloudWatchMetrics: [
            {
              Namespace: 'Orders',
              Dimensions: [['App', 'StreamName']],
              Metrics: [
                { Name: 'RecordsProcessed', Unit: 'Count' },
                { Name: 'ProcessingTime', Unit: 'Milliseconds' },
              ],
            },
          ],
        },
        App: 'billing',
        StreamName: 'orders',
        RecordsProcessed: [10, 10, 3],
        ProcessingTime: 42,
      },
    ])
    expect(raw[0]!.values).toBe(4)
    expect(raw[0]!.text).not.toContain('\n')
  })

  it('continues past 100 values per metric on further lines of the same dimension set', () => {
    const { lines: out, raw } = lines([
      datum('GetRecords.Calls', [1], [250]),
      datum('Checkpoints', [1], [3]),
    ])
    expect(out).toHaveLength(3)
    expect(out.map((l) => (l['GetRecords.Calls'] as number[]).length)).toEqual([100, 100, 50])
    expect(out.map((l) => l.Checkpoints)).toEqual([[1, 1, 1], undefined, undefined])
    const metricNames = out.map((l) =>
      (
        l._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }
      ).CloudWatchMetrics[0]!.Metrics.map((m) => m.Name),
    )
    expect(metricNames).toEqual([
      ['GetRecords.Calls', 'Checkpoints'],
      ['GetRecords.Calls'],
      ['GetRecords.Calls'],
    ])
    expect(raw.reduce((n, l) => n + l.values, 0)).toBe(253)
  })

  it('writes a statistic set as values keeping count, sum, minimum and maximum', () => {
    const stats = datum('ProcessingTime', [1], [1], {
      values: undefined,
      counts: undefined,
      sampleCount: 5,
      sum: 35,
      min: 1,
      max: 19,
    })
    const values = lines([stats]).lines[0]!.ProcessingTime as number[]
    expect(values).toHaveLength(5)
    expect(values.reduce((a, b) => a + b, 0)).toBe(35)
    expect(Math.min(...values)).toBe(1)
    expect(Math.max(...values)).toBe(19)
  })

  it('puts data with different dimensions, or a second unit of one name, on separate lines', () => {
    const other = {
      ...datum('RecordsProcessed', [1], [1]),
      dimensions: [{ Name: 'StreamName', Value: 'x' }],
    }
    const secondUnit = { ...datum('RecordsProcessed', [7], [1]), unit: 'Bytes' as const }
    const { lines: out } = lines([datum('RecordsProcessed', [2], [1]), other, secondUnit])
    expect(out.map((l) => [l.StreamName, l.RecordsProcessed])).toEqual([
      ['orders', 2],
      ['x', 1],
      ['orders', 7],
    ])
  })

  it('writes data without dimensions with an empty dimension set', () => {
    const { lines: out } = lines([{ ...datum('Sync.Created', [2], [1]), dimensions: [] }])
    expect(out[0]!._aws).toMatchObject({ CloudWatchMetrics: [{ Dimensions: [[]] }] })
  })
})
