// Classifies errors from the AWS SDK v3 clients (Kinesis, DynamoDB) once, for every retry loop:
// what is worth retrying, what is a throttle, and which typed kine error a caller should see.

import { AccessDeniedError, KineError, ResourceNotFoundError, ThrottledError } from './errors.js'

const THROTTLES: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'KMSThrottlingException',
  'LimitExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
])

const ACCESS_DENIED: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSNotFoundException',
  'KMSInvalidStateException',
])

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
])

/** The error's AWS name (`name`, or the code of a Node network error). */
export function awsErrorName(error: unknown): string {
  if (typeof error !== 'object' || error === null) return ''
  const e = error as { name?: unknown; code?: unknown; Code?: unknown }
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code
  if (typeof e.name === 'string' && e.name !== 'Error') return e.name
  if (typeof e.Code === 'string') return e.Code
  return typeof e.code === 'string' ? e.code : ''
}

function httpStatus(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata
    ?.httpStatusCode
  return typeof status === 'number' ? status : undefined
}

/** A throughput refusal: back off and try again. */
export function isThrottleError(error: unknown): boolean {
  return THROTTLES.has(awsErrorName(error)) || httpStatus(error) === 429
}

/** A failure that may pass: throttles, 5xx, timeouts and network errors. */
export function isRetryableAwsError(error: unknown): boolean {
  if (isThrottleError(error)) return true
  const name = awsErrorName(error)
  if (NETWORK_CODES.has(name)) return true
  if (name === 'TimeoutError' || name === 'RequestTimeout' || name === 'RequestTimeoutException')
    return true
  if (name === 'InternalFailure' || name === 'InternalServerError' || name === 'ServiceUnavailable')
    return true
  const status = httpStatus(error)
  if (status !== undefined && status >= 500) return true
  // The SDK marks what its own retry strategy considers transient.
  return (
    (error as { $retryable?: unknown } | null)?.$retryable !== undefined &&
    !!(error as { $retryable?: unknown }).$retryable
  )
}

export function isAccessDeniedError(error: unknown): boolean {
  return ACCESS_DENIED.has(awsErrorName(error)) || httpStatus(error) === 403
}

export function isResourceNotFoundError(error: unknown): boolean {
  return awsErrorName(error) === 'ResourceNotFoundException'
}

/**
 * The error for an answer that came back well-formed but without a field the API always returns
 * (`operation` on `what`, e.g. `shard X of stream "orders"`). Retryable: such an answer is a
 * fault to ask again about, never a conclusion (an ended shard, an empty table).
 */
export function malformedResponseError(operation: string, field: string, what: string): KineError {
  return new KineError(
    'MALFORMED_RESPONSE',
    `${operation} on ${what} returned a response without ${field}`,
  )
}

/**
 * The typed kine error for an SDK error: `what` names the resource, e.g. `stream "orders"`.
 * `notFound` chooses the code when the resource is missing.
 */
export function toKineError(
  error: unknown,
  what: string,
  notFound: 'STREAM_NOT_FOUND' | 'SHARD_NOT_FOUND' | 'TABLE_NOT_FOUND' = 'STREAM_NOT_FOUND',
): KineError {
  if (error instanceof KineError) return error
  const name = awsErrorName(error) || 'Error'
  const detail = error instanceof Error ? error.message : String(error)
  if (isResourceNotFoundError(error))
    return new ResourceNotFoundError(notFound, `${what} does not exist (${detail})`, {
      cause: error,
    })
  if (isAccessDeniedError(error))
    return new AccessDeniedError(`access denied to ${what}: ${name}: ${detail}`, { cause: error })
  if (isThrottleError(error))
    return new ThrottledError(`throttled on ${what}: ${name}: ${detail}`, { cause: error })
  const code = isRetryableAwsError(error) ? 'TRANSIENT' : 'AWS_ERROR'
  return new KineError(code, `${what}: ${name}: ${detail}`, { cause: error })
}
