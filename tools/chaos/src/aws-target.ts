// Which AWS JSON-protocol service and operation a request is, from its X-Amz-Target header:
// `Kinesis_20131202.GetRecords`, `DynamoDB_20120810.Scan`.

export type ChaosService = 'kinesis' | 'dynamodb'

export interface AwsTarget {
  readonly service: ChaosService
  readonly operation: string
}

const PREFIXES: Readonly<Record<string, ChaosService>> = {
  Kinesis_20131202: 'kinesis',
  DynamoDB_20120810: 'dynamodb',
}

/** The service and operation named by `header`, or undefined for anything else. */
export function parseAwsTarget(header: string | string[] | undefined): AwsTarget | undefined {
  if (typeof header !== 'string') return undefined
  const dot = header.indexOf('.')
  if (dot < 0) return undefined
  const service = PREFIXES[header.slice(0, dot)]
  const operation = header.slice(dot + 1)
  return service === undefined || operation === '' ? undefined : { service, operation }
}

/** The response content type of each service's JSON protocol. */
export function jsonContentType(service: ChaosService): string {
  return service === 'kinesis' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0'
}
