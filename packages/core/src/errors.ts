// One error base for every kine package: callers branch on `code` (a closed union per class)
// and on `retryable`; the SDK error that caused it, if any, stays reachable as `cause`.

/** Every code a kine error can carry. */
export type KineErrorCode =
  | 'INVALID_CONFIG'
  | 'THROTTLED'
  | 'TIMEOUT'
  | 'TRANSIENT'
  | 'EXPIRED_ITERATOR'
  | 'MALFORMED_RESPONSE'
  | 'STREAM_NOT_FOUND'
  | 'SHARD_NOT_FOUND'
  | 'TABLE_NOT_FOUND'
  | 'ACCESS_DENIED'
  | 'LEASE_LOST'
  | 'LEASE_CONFLICT'
  | 'INVALID_LEASE_ITEM'
  | 'ABORTED'
  | 'HANDLER_FAILED'
  | 'AWS_ERROR'

export interface KineErrorOptions {
  readonly cause?: unknown
  readonly retryable?: boolean
}

/** Base class of every error kine throws or reports. */
export class KineError extends Error {
  override readonly name: string = 'KineError'
  readonly code: KineErrorCode
  readonly retryable: boolean

  constructor(code: KineErrorCode, message: string, options: KineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.retryable = options.retryable ?? false
  }
}

/** Options were wrong; `problems` lists every one of them, not only the first. */
export class InvalidConfigError extends KineError {
  override readonly name: string = 'InvalidConfigError'
  readonly problems: readonly string[]

  constructor(subject: string, problems: readonly string[]) {
    super('INVALID_CONFIG', `invalid ${subject}:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.problems = problems
  }
}

/** Kinesis or DynamoDB refused for throughput; retried with backoff by kine before surfacing. */
export class ThrottledError extends KineError {
  override readonly name: string = 'ThrottledError'
  constructor(message: string, options: Omit<KineErrorOptions, 'retryable'> = {}) {
    super('THROTTLED', message, { ...options, retryable: true })
  }
}

/** The stream, shard or table named does not exist (or no longer does). */
export class ResourceNotFoundError extends KineError {
  override readonly name: string = 'ResourceNotFoundError'
  constructor(
    code: 'STREAM_NOT_FOUND' | 'SHARD_NOT_FOUND' | 'TABLE_NOT_FOUND',
    message: string,
    options: Omit<KineErrorOptions, 'retryable'> = {},
  ) {
    super(code, message, options)
  }
}

/** The credentials in use may not do what was asked. */
export class AccessDeniedError extends KineError {
  override readonly name: string = 'AccessDeniedError'
  constructor(message: string, options: Omit<KineErrorOptions, 'retryable'> = {}) {
    super('ACCESS_DENIED', message, options)
  }
}

/** This worker no longer holds the lease: whatever it was doing for the shard must stop unwritten. */
export class LeaseLostError extends KineError {
  override readonly name: string = 'LeaseLostError'
  readonly shardId: string
  constructor(shardId: string, message: string, options: Omit<KineErrorOptions, 'retryable'> = {}) {
    super('LEASE_LOST', message, options)
    this.shardId = shardId
  }
}

/** The operation was cancelled through its AbortSignal. */
export class AbortedError extends KineError {
  override readonly name: string = 'AbortedError'
  constructor(message = 'aborted', options: Omit<KineErrorOptions, 'retryable'> = {}) {
    super('ABORTED', message, options)
  }
}

/** True for an error that kine threw (any package, any version of the class in the tree). */
export function isKineError(error: unknown): error is KineError {
  return (
    error instanceof KineError ||
    (error instanceof Error &&
      typeof (error as { code?: unknown }).code === 'string' &&
      'retryable' in error)
  )
}
