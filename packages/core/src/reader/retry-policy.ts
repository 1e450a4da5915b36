// What the reader does about each failure: stop (aborted), get a fresh iterator (expired), wait
// and retry (throttles, 5xx, network, timeouts, malformed responses) or surface a typed error.
// The AWS error names are classified once, in ../aws-errors.ts; this adds the reader's own cases.

import { awsErrorName, isThrottleError, toKineError } from '../aws-errors.js'
import { AbortedError, KineError, ResourceNotFoundError } from '../errors.js'

/** The reader's response to one failure. */
export type ReadVerdict =
  | { readonly action: 'abort' }
  | { readonly action: 'renew-iterator'; readonly error: KineError }
  | { readonly action: 'retry'; readonly error: KineError; readonly throttled: boolean }
  | { readonly action: 'fail'; readonly error: KineError }

/** The error for a GetRecords response that has no `Records` field. */
export function malformedResponseError(what: string): KineError {
  return new KineError('MALFORMED_RESPONSE', `${what} returned a response without Records`, {
    retryable: true,
  })
}

/**
 * Classifies a failure of a call about `shardId` of the stream named in `stream`.
 * `signal` is the caller's: once it has aborted, every failure means "stop".
 */
export function classifyReadError(
  error: unknown,
  stream: string,
  shardId: string,
  signal: AbortSignal | undefined,
): ReadVerdict {
  if (signal?.aborted || error instanceof AbortedError) return { action: 'abort' }
  if (error instanceof KineError) {
    return error.retryable
      ? { action: 'retry', error, throttled: error.code === 'THROTTLED' }
      : { action: 'fail', error }
  }
  const name = awsErrorName(error)
  const detail = error instanceof Error ? error.message : String(error)
  const what = `shard ${shardId} of stream ${stream}`
  if (name === 'ExpiredIteratorException') {
    return {
      action: 'renew-iterator',
      error: new KineError('EXPIRED_ITERATOR', `iterator of ${what} expired: ${detail}`, {
        cause: error,
        retryable: true,
      }),
    }
  }
  // The SDK could not parse the body (a truncated or garbled response): ask again.
  if (name === 'SyntaxError') {
    return {
      action: 'retry',
      throttled: false,
      error: new KineError('MALFORMED_RESPONSE', `unreadable response for ${what}: ${detail}`, {
        cause: error,
        retryable: true,
      }),
    }
  }
  if (name === 'ResourceNotFoundException') {
    // Kinesis names the shard when the stream exists but the shard does not (or aged out).
    const code = /\bshard\b/i.test(detail) ? 'SHARD_NOT_FOUND' : 'STREAM_NOT_FOUND'
    return {
      action: 'fail',
      error: new ResourceNotFoundError(code, `${what} does not exist (${detail})`, {
        cause: error,
      }),
    }
  }
  const kineError = toKineError(error, what)
  return kineError.retryable
    ? { action: 'retry', error: kineError, throttled: isThrottleError(error) }
    : { action: 'fail', error: kineError }
}
