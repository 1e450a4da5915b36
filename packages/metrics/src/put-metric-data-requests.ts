// Turns aggregated data into PutMetricData requests within the API's limits: at most 1,000 data
// and 1 MB per request, at most 150 entries in a datum's Values/Counts.

import type { MetricDatum, PutMetricDataInput } from '@aws-sdk/client-cloudwatch'
import type { AggregatedDatum } from './metric-buffer.js'
import { MAX_DATA_PER_REQUEST, MAX_REQUEST_BYTES, MAX_VALUES_PER_DATUM } from './limits.js'

/** One PutMetricData call's input and how many recorded values it carries. */
export interface PutMetricDataRequest {
  readonly input: PutMetricDataInput
  /** Recorded values (samples) in this request's data, for the sink's counts. */
  readonly values: number
}

/** `{"MetricName":,"Dimensions":[],"Timestamp":,"Unit":}` with a timestamp and the longest unit. */
const DATUM_BYTES = 100
/** `{"Name":,"Value":},` */
const DIMENSION_BYTES = 20
/** `,"Values":[],"Counts":[]` */
const VALUES_BYTES = 25
/** `,"StatisticValues":{"SampleCount":,"Sum":,"Minimum":,"Maximum":}` */
const STATISTICS_BYTES = 65
/** `{"Namespace":,"MetricData":[]}` */
const REQUEST_BYTES = 35

/**
 * Splits `data` into requests, in order. Sizes are upper bounds for the JSON encoding the SDK
 * uses (CBOR, which newer SDKs may use, is smaller), so no request exceeds the 1 MB limit;
 * numbers are measured as written, since most are short integers (counts, sizes).
 */
export function buildPutMetricDataRequests(
  namespace: string,
  data: readonly AggregatedDatum[],
): PutMetricDataRequest[] {
  const requests: PutMetricDataRequest[] = []
  const base = REQUEST_BYTES + jsonBytes(namespace)
  let metricData: MetricDatum[] = []
  let bytes = base
  let values = 0
  const close = (): void => {
    if (metricData.length === 0) return
    requests.push({ input: { Namespace: namespace, MetricData: metricData }, values })
    metricData = []
    bytes = base
    values = 0
  }
  for (const datum of data) {
    for (const part of toMetricData(datum)) {
      if (metricData.length >= MAX_DATA_PER_REQUEST || bytes + part.bytes > MAX_REQUEST_BYTES)
        close()
      metricData.push(part.datum)
      bytes += part.bytes
      values += part.values
    }
  }
  close()
  return requests
}

interface DatumPart {
  readonly datum: MetricDatum
  readonly bytes: number
  readonly values: number
}

/** One aggregated datum as CloudWatch data: several when it has more than 150 distinct values. */
function toMetricData(datum: AggregatedDatum): DatumPart[] {
  const common = {
    MetricName: datum.name,
    Dimensions: datum.dimensions.map((d) => ({ Name: d.Name, Value: d.Value })),
    Timestamp: new Date(datum.timestamp),
    Unit: datum.unit,
  }
  let commonBytes = DATUM_BYTES + jsonBytes(datum.name)
  for (const d of datum.dimensions)
    commonBytes += DIMENSION_BYTES + jsonBytes(d.Name) + jsonBytes(d.Value)

  if (datum.values === undefined || datum.counts === undefined) {
    const StatisticValues = {
      SampleCount: datum.sampleCount,
      Sum: datum.sum,
      Minimum: datum.min,
      Maximum: datum.max,
    }
    return [
      {
        datum: { ...common, StatisticValues },
        bytes:
          commonBytes +
          STATISTICS_BYTES +
          numberBytes(datum.sampleCount) +
          numberBytes(datum.sum) +
          numberBytes(datum.min) +
          numberBytes(datum.max),
        values: datum.sampleCount,
      },
    ]
  }
  const parts: DatumPart[] = []
  for (let i = 0; i < datum.values.length; i += MAX_VALUES_PER_DATUM) {
    const Values = datum.values.slice(i, i + MAX_VALUES_PER_DATUM)
    const Counts = datum.counts.slice(i, i + MAX_VALUES_PER_DATUM)
    parts.push({
      datum: { ...common, Values, Counts },
      bytes: commonBytes + VALUES_BYTES + listBytes(Values) + listBytes(Counts),
      values: Counts.reduce((a, b) => a + b, 0),
    })
  }
  return parts
}

/** A number's JSON text (as the SDK writes it) plus a separator. */
function numberBytes(value: number): number {
  return String(value).length + 1
}

function listBytes(values: readonly number[]): number {
  let bytes = 0
  for (const v of values) bytes += numberBytes(v)
  return bytes
}

function jsonBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text))
}
