// Turns a decoded request (strings from Query, numbers and epoch seconds from JSON, Dates from CBOR)
// into one shape, checking it against the limits CloudWatch enforces so a test sees the rejection
// the real service would give.
import type {
  CloudWatchProtocol,
  ReceivedDatum,
  ReceivedDimension,
  ReceivedGetMetricStatistics,
  ReceivedPutMetricData,
  ReceivedStatisticSet,
} from './cloudwatch-types.js'

/** A request CloudWatch would refuse; `code` is CloudWatch's error code. */
export class InvalidRequestError extends Error {
  override readonly name: string = 'InvalidRequestError'
  readonly code: 'InvalidParameterValue' | 'MissingParameter' | 'InvalidParameterCombination'
  constructor(code: InvalidRequestError['code'], message: string) {
    super(message)
    this.code = code
  }
}

/** CloudWatch's StandardUnit values. */
export const standardUnits: ReadonlySet<string> = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
])

/** PutMetricData limits (CloudWatch quotas). */
const maxMetricData = 1000
const maxDimensions = 30
const maxValues = 150

function missing(field: string): never {
  throw new InvalidRequestError('MissingParameter', `The parameter ${field} is required.`)
}

function invalid(field: string, why: string): never {
  throw new InvalidRequestError('InvalidParameterValue', `The value for parameter ${field} ${why}.`)
}

function str(value: unknown, field: string, maxLength: number): string {
  if (value === undefined || value === null || value === '') missing(field)
  if (typeof value !== 'string') invalid(field, 'must be a string')
  if (value.length > maxLength) invalid(field, `must be at most ${maxLength} characters`)
  return value
}

function optionalStr(value: unknown, field: string): string | undefined {
  return value === undefined || value === null ? undefined : str(value, field, 1024)
}

function num(value: unknown, field: string): number {
  if (value === undefined || value === null || value === '') missing(field)
  const n = typeof value === 'string' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isFinite(n)) invalid(field, 'must be a finite number')
  return n
}

function optionalNum(value: unknown, field: string): number | undefined {
  return value === undefined || value === null ? undefined : num(value, field)
}

function list(value: unknown, field: string): unknown[] | undefined {
  if (value === undefined || value === null) return undefined
  // Query sends an empty list as `Field=` with no members.
  if (value === '') return []
  if (!Array.isArray(value)) invalid(field, 'must be a list')
  return value as unknown[]
}

// JSON sends epoch seconds, Query ISO 8601 text, CBOR a tagged Date.
function date(value: unknown, field: string): Date {
  if (value === undefined || value === null || value === '') missing(field)
  let result: Date
  if (value instanceof Date) result = value
  else if (typeof value === 'number') result = new Date(value * 1000)
  else if (typeof value === 'string')
    result = /^-?\d+(\.\d+)?$/.test(value) ? new Date(Number(value) * 1000) : new Date(value)
  else invalid(field, 'must be a timestamp')
  if (Number.isNaN(result.getTime())) invalid(field, 'must be a timestamp')
  return result
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    invalid(field, 'must be a structure')
  return value as Record<string, unknown>
}

function dimensions(value: unknown, field: string): ReceivedDimension[] {
  const items = list(value, field) ?? []
  if (items.length > maxDimensions) invalid(field, `must have at most ${maxDimensions} members`)
  return items.map((item, i) => {
    const d = record(item, `${field}.member.${i + 1}`)
    return {
      Name: str(d.Name, `${field}.member.${i + 1}.Name`, 255),
      Value: str(d.Value, `${field}.member.${i + 1}.Value`, 1024),
    }
  })
}

function unit(value: unknown, field: string): string | undefined {
  const u = optionalStr(value, field)
  if (u !== undefined && !standardUnits.has(u)) invalid(field, `must be a standard unit, got ${u}`)
  return u
}

function datum(value: unknown, namespace: string, field: string): ReceivedDatum {
  const d = record(value, field)
  const MetricName = str(d.MetricName, `${field}.MetricName`, 255)
  const Value = optionalNum(d.Value, `${field}.Value`)
  const Values = list(d.Values, `${field}.Values`)?.map((v, i) =>
    num(v, `${field}.Values.member.${i + 1}`),
  )
  const Counts = list(d.Counts, `${field}.Counts`)?.map((v, i) =>
    num(v, `${field}.Counts.member.${i + 1}`),
  )
  let StatisticValues: ReceivedStatisticSet | undefined
  if (d.StatisticValues !== undefined && d.StatisticValues !== null) {
    const s = record(d.StatisticValues, `${field}.StatisticValues`)
    StatisticValues = {
      SampleCount: num(s.SampleCount, `${field}.StatisticValues.SampleCount`),
      Sum: num(s.Sum, `${field}.StatisticValues.Sum`),
      Minimum: num(s.Minimum, `${field}.StatisticValues.Minimum`),
      Maximum: num(s.Maximum, `${field}.StatisticValues.Maximum`),
    }
  }
  const kinds = [Value !== undefined, StatisticValues !== undefined, Values !== undefined].filter(
    Boolean,
  ).length
  if (kinds > 1) {
    throw new InvalidRequestError(
      'InvalidParameterCombination',
      `${field}: Value, StatisticValues and Values are mutually exclusive.`,
    )
  }
  if (Values !== undefined && Values.length > maxValues)
    invalid(`${field}.Values`, `must have at most ${maxValues} members`)
  if (Counts !== undefined && (Values === undefined || Counts.length !== Values.length)) {
    throw new InvalidRequestError(
      'InvalidParameterCombination',
      `${field}: Counts must come with Values of the same length.`,
    )
  }
  const StorageResolution = optionalNum(d.StorageResolution, `${field}.StorageResolution`)
  if (StorageResolution !== undefined && StorageResolution !== 1 && StorageResolution !== 60) {
    invalid(`${field}.StorageResolution`, 'must be 1 or 60')
  }
  const Unit = unit(d.Unit, `${field}.Unit`)
  const Timestamp =
    d.Timestamp === undefined || d.Timestamp === null
      ? undefined
      : date(d.Timestamp, `${field}.Timestamp`)
  return {
    Namespace: namespace,
    MetricName,
    Dimensions: dimensions(d.Dimensions, `${field}.Dimensions`),
    ...(Unit === undefined ? {} : { Unit }),
    ...(Value === undefined ? {} : { Value }),
    ...(Values === undefined ? {} : { Values }),
    ...(Counts === undefined ? {} : { Counts }),
    ...(StatisticValues === undefined ? {} : { StatisticValues }),
    ...(Timestamp === undefined ? {} : { Timestamp }),
    ...(StorageResolution === undefined ? {} : { StorageResolution }),
  }
}

function namespaceOf(value: unknown): string {
  const namespace = str(value, 'Namespace', 255)
  if (namespace.startsWith('AWS/'))
    invalid('Namespace', 'must not start with AWS/ (reserved for AWS services)')
  return namespace
}

/** Checks and normalises the parameters of a PutMetricData request. */
export function normalizePutMetricData(
  params: Record<string, unknown>,
  protocol: CloudWatchProtocol,
  compressed: boolean,
  receivedAt: Date,
): ReceivedPutMetricData {
  const Namespace = namespaceOf(params.Namespace)
  const items = list(params.MetricData, 'MetricData')
  if (items === undefined || items.length === 0) missing('MetricData')
  if (items.length > maxMetricData)
    invalid('MetricData', `must have at most ${maxMetricData} members`)
  const MetricData = items.map((item, i) => datum(item, Namespace, `MetricData.member.${i + 1}`))
  return { Namespace, MetricData, protocol, compressed, receivedAt }
}

/** Checks and normalises the parameters of a GetMetricStatistics request. */
export function normalizeGetMetricStatistics(
  params: Record<string, unknown>,
  protocol: CloudWatchProtocol,
): ReceivedGetMetricStatistics {
  const Statistics = (list(params.Statistics, 'Statistics') ?? []).map((s, i) =>
    str(s, `Statistics.member.${i + 1}`, 64),
  )
  const ExtendedStatistics = (list(params.ExtendedStatistics, 'ExtendedStatistics') ?? []).map(
    (s, i) => str(s, `ExtendedStatistics.member.${i + 1}`, 64),
  )
  if (Statistics.length === 0 && ExtendedStatistics.length === 0) {
    throw new InvalidRequestError(
      'MissingParameter',
      'Either Statistics or ExtendedStatistics must be given.',
    )
  }
  const Unit = unit(params.Unit, 'Unit')
  return {
    Namespace: str(params.Namespace, 'Namespace', 255),
    MetricName: str(params.MetricName, 'MetricName', 255),
    Dimensions: dimensions(params.Dimensions, 'Dimensions'),
    StartTime: date(params.StartTime, 'StartTime'),
    EndTime: date(params.EndTime, 'EndTime'),
    Period: num(params.Period, 'Period'),
    Statistics,
    ExtendedStatistics,
    ...(Unit === undefined ? {} : { Unit }),
    protocol,
  }
}
