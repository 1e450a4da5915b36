import { describe, expect, it } from 'vitest'
import { AccessDeniedError, KineError, ResourceNotFoundError, ThrottledError } from './errors.js'
import {
  isRetryableAwsError,
  isThrottleError,
  malformedResponseError,
  toKineError,
} from './aws-errors.js'

// SDK errors as the v3 clients throw them: a name, and $metadata with the HTTP status.
const sdkError = (name: string, status: number, extra: object = {}): Error =>
  Object.assign(new Error(`${name} happened`), {
    name,
    $metadata: { httpStatusCode: status },
    ...extra,
  })

describe('AWS error classification', () => {
  it('treats throttles, 5xx, timeouts and network errors as retryable, and says which are throttles', () => {
    for (const name of [
      'ProvisionedThroughputExceededException',
      'KMSThrottlingException',
      'LimitExceededException',
      'Throttling',
    ]) {
      expect(isThrottleError(sdkError(name, 400)), name).toBe(true)
      expect(isRetryableAwsError(sdkError(name, 400)), name).toBe(true)
    }
    expect(isRetryableAwsError(sdkError('InternalFailure', 500))).toBe(true)
    expect(isRetryableAwsError(sdkError('SomethingNew', 503))).toBe(true)
    expect(
      isRetryableAwsError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })),
    ).toBe(true)
    expect(isRetryableAwsError(sdkError('TimeoutError', 0))).toBe(true)
    expect(isThrottleError(sdkError('InternalFailure', 500))).toBe(false)
  })

  it('does not retry what cannot pass', () => {
    for (const name of [
      'ResourceNotFoundException',
      'AccessDeniedException',
      'ValidationException',
      'InvalidArgumentException',
    ]) {
      expect(isRetryableAwsError(sdkError(name, 400)), name).toBe(false)
    }
  })

  it('maps SDK errors to typed kine errors, keeping the SDK error as cause', () => {
    const missing = sdkError('ResourceNotFoundException', 400)
    const notFound = toKineError(missing, 'stream "orders"')
    expect(notFound).toBeInstanceOf(ResourceNotFoundError)
    expect(notFound).toMatchObject({ code: 'STREAM_NOT_FOUND', retryable: false, cause: missing })
    expect(notFound.message).toMatch(/stream "orders" does not exist/)
    expect(toKineError(missing, 'table "t"', 'TABLE_NOT_FOUND').code).toBe('TABLE_NOT_FOUND')
    expect(toKineError(sdkError('AccessDeniedException', 400), 'x')).toBeInstanceOf(
      AccessDeniedError,
    )
    expect(
      toKineError(sdkError('ProvisionedThroughputExceededException', 400), 'x'),
    ).toBeInstanceOf(ThrottledError)
    expect(toKineError(sdkError('InternalFailure', 500), 'x')).toMatchObject({
      code: 'TRANSIENT',
      retryable: true,
    })
    expect(toKineError(sdkError('ValidationException', 400), 'x')).toMatchObject({
      code: 'AWS_ERROR',
      retryable: false,
    })
    const already = new KineError('LEASE_LOST', 'gone')
    expect(toKineError(already, 'x')).toBe(already)
  })

  it('makes a malformed answer a retryable MALFORMED_RESPONSE naming the operation, the field and the resource', () => {
    const error = malformedResponseError(
      'GetShardIterator',
      'ShardIterator',
      'shard s-1 of stream "orders"',
    )
    expect(error).toBeInstanceOf(KineError)
    expect(error).toMatchObject({ code: 'MALFORMED_RESPONSE', retryable: true })
    expect(error.message).toBe(
      'GetShardIterator on shard s-1 of stream "orders" returned a response without ShardIterator',
    )
    // Kept as is by the classification every retry loop runs: still retryable, still malformed.
    expect(toKineError(error, 'x')).toBe(error)
  })
})
