import { describe, expect, it } from 'vitest'
import { InvalidRequestError, normalizePutMetricData } from './cloudwatch-normalize.js'
import { parseQueryRequest } from './cloudwatch-query.js'

const at = new Date('2026-05-01T00:00:00Z')

function refusal(params: Record<string, unknown>): string {
  try {
    normalizePutMetricData(params, 'json', false, at)
  } catch (error) {
    if (error instanceof InvalidRequestError) return `${error.code}: ${error.message}`
    throw error
  }
  return 'accepted'
}

describe('normalizePutMetricData refuses what CloudWatch refuses', () => {
  it.each([
    [{ MetricData: [{ MetricName: 'A', Value: 1 }] }, /^MissingParameter: .*Namespace/],
    [
      { Namespace: 'AWS/Kinesis', MetricData: [{ MetricName: 'A', Value: 1 }] },
      /^InvalidParameterValue: .*AWS\//,
    ],
    [{ Namespace: 'N', MetricData: [] }, /^MissingParameter: .*MetricData/],
    [
      { Namespace: 'N', MetricData: [{ Value: 1 }] },
      /^MissingParameter: .*MetricData\.member\.1\.MetricName/,
    ],
    [
      { Namespace: 'N', MetricData: [{ MetricName: 'A', Value: 1, Values: [1] }] },
      /^InvalidParameterCombination/,
    ],
    [
      { Namespace: 'N', MetricData: [{ MetricName: 'A', Values: [1, 2], Counts: [1] }] },
      /^InvalidParameterCombination/,
    ],
    [
      { Namespace: 'N', MetricData: [{ MetricName: 'A', Value: 1, StorageResolution: 10 }] },
      /^InvalidParameterValue: .*StorageResolution/,
    ],
    [
      { Namespace: 'N', MetricData: [{ MetricName: 'A', Value: 1, Unit: 'Furlongs' }] },
      /^InvalidParameterValue: .*Unit/,
    ],
    [
      {
        Namespace: 'N',
        MetricData: [
          {
            MetricName: 'A',
            Value: 1,
            Dimensions: Array.from({ length: 31 }, (_, i) => ({ Name: `d${i}`, Value: 'v' })),
          },
        ],
      },
      /^InvalidParameterValue: .*at most 30/,
    ],
    [
      {
        Namespace: 'N',
        MetricData: Array.from({ length: 1001 }, () => ({ MetricName: 'A', Value: 1 })),
      },
      /^InvalidParameterValue: .*at most 1000/,
    ],
  ])('%j', (params, refused) => {
    expect(refusal(params)).toMatch(refused)
  })

  it('accepts the limits themselves', () => {
    expect(
      refusal({
        Namespace: 'N',
        MetricData: Array.from({ length: 1000 }, () => ({
          MetricName: 'A',
          Values: Array.from({ length: 150 }, (_, i) => i),
        })),
      }),
    ).toBe('accepted')
  })
})

describe('Query requests', () => {
  it('read into the same shape as JSON ones, timestamps and numbers included', () => {
    const { action, params } = parseQueryRequest(
      'Action=PutMetricData&Version=2010-08-01&Namespace=N' +
        '&MetricData.member.1.MetricName=A&MetricData.member.1.Value=1.5&MetricData.member.1.Timestamp=2026-05-01T10%3A00%3A00.250Z' +
        '&MetricData.member.1.Dimensions.member.2.Name=B&MetricData.member.1.Dimensions.member.2.Value=2' +
        '&MetricData.member.1.Dimensions.member.1.Name=A&MetricData.member.1.Dimensions.member.1.Value=1' +
        '&MetricData.member.2.MetricName=B&MetricData.member.2.Values.member.1=3&MetricData.member.2.Counts.member.1=4',
    )
    expect(action).toBe('PutMetricData')
    expect(normalizePutMetricData(params, 'query', false, at).MetricData).toEqual([
      {
        Namespace: 'N',
        MetricName: 'A',
        Value: 1.5,
        Timestamp: new Date('2026-05-01T10:00:00.250Z'),
        Dimensions: [
          { Name: 'A', Value: '1' },
          { Name: 'B', Value: '2' },
        ],
      },
      { Namespace: 'N', MetricName: 'B', Values: [3], Counts: [4], Dimensions: [] },
    ])
  })
})
