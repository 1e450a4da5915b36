// The error answers the proxy fabricates, as each service really sends them (status, `__type`,
// message), so the SDK classifies them exactly as it would a real throttle or 5xx.
import type { ChaosService } from './aws-target.js'

export interface ErrorAnswer {
  readonly status: number
  readonly type: string
  readonly message: string
}

/** Kinesis operations whose throttle is LimitExceededException (control plane), not
 * ProvisionedThroughputExceededException (per-shard data plane). */
const KINESIS_CONTROL_PLANE = new Set([
  'ListShards',
  'DescribeStream',
  'DescribeStreamSummary',
  'ListStreams',
  'SplitShard',
  'MergeShards',
  'UpdateShardCount',
  'CreateStream',
  'DeleteStream',
  'RegisterStreamConsumer',
  'DescribeStreamConsumer',
  'ListStreamConsumers',
])

/** The throttling answer of `service` for `operation` (or the error named by `errorName`). */
export function throttleAnswer(
  service: ChaosService,
  operation: string,
  errorName?: string,
): ErrorAnswer {
  if (service === 'kinesis') {
    const type =
      errorName ??
      (KINESIS_CONTROL_PLANE.has(operation)
        ? 'LimitExceededException'
        : 'ProvisionedThroughputExceededException')
    return {
      status: 400,
      type,
      message:
        type === 'LimitExceededException'
          ? 'Rate exceeded for stream (injected by kine chaos)'
          : 'Rate exceeded for shard (injected by kine chaos)',
    }
  }
  const name = errorName ?? 'ThrottlingException'
  return {
    status: 400,
    type:
      name === 'ThrottlingException'
        ? 'com.amazon.coral.availability#ThrottlingException'
        : `com.amazonaws.dynamodb.v20120810#${name}`,
    message: 'Rate of requests exceeds the allowed throughput (injected by kine chaos)',
  }
}

/** A 500 InternalFailure or 503 ServiceUnavailable in the words of `service`. */
export function serverErrorAnswer(service: ChaosService, status: 500 | 503): ErrorAnswer {
  if (status === 503)
    return {
      status,
      type:
        service === 'kinesis'
          ? 'ServiceUnavailable'
          : 'com.amazon.coral.availability#ServiceUnavailableException',
      message: 'Service unavailable (injected by kine chaos)',
    }
  return {
    status,
    type:
      service === 'kinesis'
        ? 'InternalFailure'
        : 'com.amazonaws.dynamodb.v20120810#InternalServerError',
    message: 'Internal server error (injected by kine chaos)',
  }
}

/** The JSON body of an error answer. */
export function errorBody(answer: ErrorAnswer): string {
  return JSON.stringify({ __type: answer.type, message: answer.message })
}
