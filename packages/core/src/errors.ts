// One error base for every kine package: callers branch on `code` (a closed union, narrowed to
// its own literals by each subclass) and on `retryable`, which the code alone decides; the SDK
// error that caused it, if any, stays reachable as `cause`.

/**
 * Every code a kine error can carry, and whether an error with it is worth trying again later.
 * core's README has the table of what each code means and which class carries it.
 */
export const KINE_ERROR_CODES = {
  INVALID_CONFIG: { retryable: false },
  THROTTLED: { retryable: true },
  TIMEOUT: { retryable: true },
  TRANSIENT: { retryable: true },
  EXPIRED_ITERATOR: { retryable: true },
  MALFORMED_RESPONSE: { retryable: true },
  STREAM_NOT_FOUND: { retryable: false },
  SHARD_NOT_FOUND: { retryable: false },
  TABLE_NOT_FOUND: { retryable: false },
  ACCESS_DENIED: { retryable: false },
  LEASE_LOST: { retryable: false },
  INVALID_LEASE_ITEM: { retryable: false },
  ABORTED: { retryable: false },
  AWS_ERROR: { retryable: false },
} as const

/** Every code a kine error can carry. */
export type KineErrorCode = keyof typeof KINE_ERROR_CODES

export interface KineErrorOptions {
  readonly cause?: unknown
}

/** Base class of every error kine throws or reports. */
export class KineError extends Error {
  override readonly name: string = 'KineError'
  readonly code: KineErrorCode
  /** True when the same call may succeed later; fixed by the code ({@link KINE_ERROR_CODES}). */
  readonly retryable: boolean

  constructor(code: KineErrorCode, message: string, options: KineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.retryable = KINE_ERROR_CODES[code].retryable
  }
}

/**
 * The caller got something wrong: options, an argument, or a call at the wrong time (a second
 * `start()`); `problems` lists every one of them, not only the first.
 */
export class InvalidConfigError extends KineError {
  override readonly name: string = 'InvalidConfigError'
  declare readonly code: 'INVALID_CONFIG'
  readonly problems: readonly string[]

  /** `subject` names what was wrong, e.g. `Consumer options` (the message reads `invalid <subject>`). */
  constructor(subject: string, problems: readonly string[]) {
    super('INVALID_CONFIG', `invalid ${subject}:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.problems = problems
  }
}

/** Kinesis or DynamoDB refused for throughput; retried with backoff by kine before surfacing. */
export class ThrottledError extends KineError {
  override readonly name: string = 'ThrottledError'
  declare readonly code: 'THROTTLED'
  constructor(message: string, options: KineErrorOptions = {}) {
    super('THROTTLED', message, options)
  }
}

/** The stream, shard or table named does not exist (or no longer does). */
export class ResourceNotFoundError extends KineError {
  override readonly name: string = 'ResourceNotFoundError'
  declare readonly code: 'STREAM_NOT_FOUND' | 'SHARD_NOT_FOUND' | 'TABLE_NOT_FOUND'
  constructor(
    code: 'STREAM_NOT_FOUND' | 'SHARD_NOT_FOUND' | 'TABLE_NOT_FOUND',
    message: string,
    options: KineErrorOptions = {},
  ) {
    super(code, message, options)
  }
}

/** The credentials in use may not do what was asked. */
export class AccessDeniedError extends KineError {
  override readonly name: string = 'AccessDeniedError'
  declare readonly code: 'ACCESS_DENIED'
  constructor(message: string, options: KineErrorOptions = {}) {
    super('ACCESS_DENIED', message, options)
  }
}

/** This worker no longer holds the lease: whatever it was doing for the shard must stop unwritten. */
export class LeaseLostError extends KineError {
  override readonly name: string = 'LeaseLostError'
  declare readonly code: 'LEASE_LOST'
  readonly shardId: string
  constructor(shardId: string, message: string, options: KineErrorOptions = {}) {
    super('LEASE_LOST', message, options)
    this.shardId = shardId
  }
}

/** The operation was cancelled through its AbortSignal. */
export class AbortedError extends KineError {
  override readonly name: string = 'AbortedError'
  declare readonly code: 'ABORTED'
  constructor(message = 'aborted', options: KineErrorOptions = {}) {
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
