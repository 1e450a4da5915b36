// What the reader does about each failure: stop (aborted), get a fresh iterator (expired), wait
// and retry (throttles, 5xx, network, timeouts, malformed responses), check the shard list (a
// shard or stream said to be missing) or surface a typed error. The AWS error names are
// classified once, in ../aws-errors.ts; this adds the reader's own cases.

import { awsErrorName, isThrottleError, toKineError } from '../aws-errors.js'
import { AbortedError, KineError } from '../errors.js'

/** The reader's response to one failure. */
export type ReadVerdict =
  | { readonly action: 'abort' }
  | { readonly action: 'renew-iterator'; readonly error: KineError }
  | { readonly action: 'retry'; readonly error: KineError; readonly throttled: boolean }
  | { readonly action: 'fail'; readonly error: KineError }
  /**
   * ResourceNotFoundException: whether the shard, the stream or neither is missing is decided
   * from a complete ListShards, never from the message (which differs by engine).
   */
  | { readonly action: 'check-shard'; readonly cause: unknown }

/** A verdict other than `check-shard`: what the reader acts on once the shard list is checked. */
export type FinalVerdict = Exclude<ReadVerdict, { readonly action: 'check-shard' }>

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
      }),
    }
  }
  if (name === 'ResourceNotFoundException') return { action: 'check-shard', cause: error }
  const kineError = toKineError(error, what)
  return kineError.retryable
    ? { action: 'retry', error: kineError, throttled: isThrottleError(error) }
    : { action: 'fail', error: kineError }
}
