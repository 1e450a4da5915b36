// Registered stream consumers, for enhanced fan-out: ensure one exists and is ACTIVE (safe when
// many workers start at once), list them, deregister one. RegisterStreamConsumer allows 5 calls/s
// per stream and DescribeStreamConsumer 20, so every call backs off on throttles; a name that is
// already taken (ResourceInUseException) means another worker registered it first.

import {
  DeregisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  ListStreamConsumersCommand,
  RegisterStreamConsumerCommand,
  type Consumer,
  type ConsumerDescription,
  type KinesisClient,
} from '@aws-sdk/client-kinesis'
import {
  awsErrorName,
  isRetryableAwsError,
  isResourceNotFoundError,
  malformedResponseError,
  toKineError,
} from './aws-errors.js'
import { backoffDelay } from './backoff.js'
import { systemClock, type Clock } from './clock.js'
import { KineError } from './errors.js'
import { streamNameFromArn } from './list-shards.js'
import { silentLogger, type Logger } from './logger.js'
import { sendOptions } from './send-options.js'

/** A registered consumer of a stream. */
export interface StreamConsumer {
  readonly consumerName: string
  readonly consumerARN: string
  readonly status: 'CREATING' | 'ACTIVE' | 'DELETING'
  readonly createdAt: Date | undefined
}

/** Options shared by the consumer helpers. */
export interface StreamConsumerCallOptions {
  /** @defaultValue never */
  readonly signal?: AbortSignal
  /** @defaultValue systemClock */
  readonly clock?: Clock
  /** @defaultValue silent */
  readonly logger?: Logger
  /**
   * Attempts per call on throttles and transient errors before giving up.
   * @defaultValue 10 ({@link DEFAULT_CONSUMER_CALL_ATTEMPTS})
   */
  readonly maxAttempts?: number
  /** Random source in [0, 1) for backoff jitter. @defaultValue Math.random */
  readonly random?: () => number
}

/** Options of {@link ensureStreamConsumer}. */
export interface EnsureStreamConsumerOptions extends StreamConsumerCallOptions {
  /** The stream's ARN (RegisterStreamConsumer takes no name). */
  readonly streamARN: string
  /** The consumer's name: one per consuming application. */
  readonly consumerName: string
  /**
   * How long to wait for the consumer to become ACTIVE (AWS: usually a few seconds).
   * @defaultValue 120,000 ({@link DEFAULT_CONSUMER_ACTIVE_TIMEOUT_MS})
   */
  readonly activeTimeoutMs?: number
  /** Wait between checks while it is CREATING. @defaultValue 1,000 */
  readonly pollIntervalMs?: number
}

/** What {@link ensureStreamConsumer} found or made. */
export interface EnsuredStreamConsumer extends StreamConsumer {
  readonly status: 'ACTIVE'
  /** True when this call registered it; false when it existed (or another caller won the race). */
  readonly registered: boolean
}

export const DEFAULT_CONSUMER_CALL_ATTEMPTS = 10
export const DEFAULT_CONSUMER_ACTIVE_TIMEOUT_MS = 120_000
const DEFAULT_POLL_INTERVAL_MS = 1_000

/**
 * Returns the stream's consumer named `consumerName`, registering it when missing, once it is
 * ACTIVE. Idempotent: any number of workers may call it at once; one registers, the others find
 * the name taken and wait for the same consumer.
 *
 * @throws a `KineError`: `STREAM_NOT_FOUND`; `AWS_ERROR` when the stream has no room for another
 *   consumer (Kinesis' LimitExceededException persisted; the message lists the consumers
 *   registered); `TIMEOUT` when it is not ACTIVE within `activeTimeoutMs`; `ACCESS_DENIED`.
 */
export async function ensureStreamConsumer(
  kinesis: KinesisClient,
  options: EnsureStreamConsumerOptions,
): Promise<EnsuredStreamConsumer> {
  const clock = options.clock ?? systemClock
  const logger = (options.logger ?? silentLogger).child({
    streamARN: options.streamARN,
    consumerName: options.consumerName,
  })
  const call = caller(options)
  const timeoutMs = options.activeTimeoutMs ?? DEFAULT_CONSUMER_ACTIVE_TIMEOUT_MS
  const pollMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS
  const deadline = clock.now() + timeoutMs
  const what = `consumer "${options.consumerName}" of stream "${streamNameFromArn(options.streamARN)}"`
  let registered = false
  for (;;) {
    const found = await describe(kinesis, options, call, what)
    if (found?.status === 'ACTIVE') return { ...found, status: 'ACTIVE', registered }
    if (found === undefined) {
      // Missing, or DELETING (registering then fails with the name taken until it has gone).
      const outcome = await register(kinesis, options, call, what)
      if (outcome === 'registered') {
        registered = true
        logger.info({}, 'registered stream consumer')
        continue
      }
    }
    if (clock.now() >= deadline)
      throw new KineError(
        'TIMEOUT',
        `${what} is still ${found?.status ?? 'not visible'} after ${timeoutMs} ms (expected ACTIVE)`,
      )
    logger.debug({ status: found?.status }, 'waiting for the stream consumer')
    await clock.sleep(pollMs, options.signal)
  }
}

/** Options of {@link listStreamConsumers}. */
export interface ListStreamConsumersOptions extends StreamConsumerCallOptions {
  readonly streamARN: string
}

/** Every consumer registered on the stream, following `NextToken` to the last page. */
export async function listStreamConsumers(
  kinesis: KinesisClient,
  options: ListStreamConsumersOptions,
): Promise<StreamConsumer[]> {
  const call = caller(options)
  const what = `stream "${streamNameFromArn(options.streamARN)}"`
  const consumers: StreamConsumer[] = []
  let nextToken: string | undefined
  do {
    const input = {
      StreamARN: options.streamARN,
      ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
    }
    const page = await call('ListStreamConsumers', what, () =>
      kinesis.send(new ListStreamConsumersCommand(input), sendOptions(options.signal)),
    )
    if (!Array.isArray(page.Consumers))
      throw malformedResponseError('ListStreamConsumers', 'Consumers', what)
    for (const consumer of page.Consumers) consumers.push(toStreamConsumer(consumer, what))
    nextToken = page.NextToken
  } while (nextToken !== undefined)
  return consumers
}

/** Options of {@link deregisterStreamConsumer}. */
export interface DeregisterStreamConsumerOptions extends StreamConsumerCallOptions {
  readonly streamARN: string
  readonly consumerName: string
}

/**
 * Deregisters the stream's consumer named `consumerName` (its subscriptions are closed by
 * Kinesis). Resolves to false when no such consumer exists, true once deregistration has begun
 * (it is DELETING for a few seconds after).
 */
export async function deregisterStreamConsumer(
  kinesis: KinesisClient,
  options: DeregisterStreamConsumerOptions,
): Promise<boolean> {
  const call = caller(options)
  const what = `consumer "${options.consumerName}" of stream "${streamNameFromArn(options.streamARN)}"`
  try {
    await call('DeregisterStreamConsumer', what, () =>
      kinesis.send(
        new DeregisterStreamConsumerCommand({
          StreamARN: options.streamARN,
          ConsumerName: options.consumerName,
        }),
        sendOptions(options.signal),
      ),
    )
    return true
  } catch (error) {
    if (error instanceof KineError && isResourceNotFoundError(error.cause)) return false
    throw error
  }
}

type Call = <T>(operation: string, what: string, send: () => Promise<T>) => Promise<T>

/** Runs one call with backoff on throttles and transient errors; rethrows a typed KineError. */
function caller(options: StreamConsumerCallOptions): Call {
  const clock = options.clock ?? systemClock
  const maxAttempts = options.maxAttempts ?? DEFAULT_CONSUMER_CALL_ATTEMPTS
  const logger = options.logger ?? silentLogger
  return async (operation, what, send) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send()
      } catch (error) {
        options.signal?.throwIfAborted()
        if (!isRetryableAwsError(error) || attempt >= maxAttempts) throw toKineError(error, what)
        const wait = backoffDelay(attempt - 1, {
          baseMs: 200,
          capMs: 5_000,
          ...(options.random !== undefined ? { random: options.random } : {}),
        })
        logger.debug({ err: error, operation, attempt, wait }, `${operation} failed, retrying`)
        await clock.sleep(wait, options.signal)
      }
    }
  }
}

/** The consumer, or undefined when it does not exist or is DELETING (it must go first). */
async function describe(
  kinesis: KinesisClient,
  options: EnsureStreamConsumerOptions,
  call: Call,
  what: string,
): Promise<StreamConsumer | undefined> {
  let description: ConsumerDescription | undefined
  try {
    const output = await call('DescribeStreamConsumer', what, () =>
      kinesis.send(
        new DescribeStreamConsumerCommand({
          StreamARN: options.streamARN,
          ConsumerName: options.consumerName,
        }),
        sendOptions(options.signal),
      ),
    )
    description = output.ConsumerDescription
  } catch (error) {
    // Missing consumer or missing stream: registering tells which (STREAM_NOT_FOUND for the latter).
    if (error instanceof KineError && isResourceNotFoundError(error.cause)) return undefined
    throw error
  }
  if (description === undefined)
    throw malformedResponseError('DescribeStreamConsumer', 'ConsumerDescription', what)
  const consumer = toStreamConsumer(description, what)
  return consumer.status === 'DELETING' ? undefined : consumer
}

/**
 * RegisterStreamConsumer: `registered`, or `taken` when the name already exists (another caller
 * won). A LimitExceededException that outlasts the retries means the stream has no room.
 */
async function register(
  kinesis: KinesisClient,
  options: EnsureStreamConsumerOptions,
  call: Call,
  what: string,
): Promise<'registered' | 'taken'> {
  try {
    await call('RegisterStreamConsumer', what, () =>
      kinesis.send(
        new RegisterStreamConsumerCommand({
          StreamARN: options.streamARN,
          ConsumerName: options.consumerName,
        }),
        sendOptions(options.signal),
      ),
    )
    return 'registered'
  } catch (error) {
    const cause = error instanceof KineError ? error.cause : error
    const name = awsErrorName(cause)
    if (name === 'ResourceInUseException') return 'taken'
    if (name === 'LimitExceededException') throw await noRoom(kinesis, options, what, cause)
    throw error
  }
}

/** The error for a stream that refuses another consumer, naming those it has. */
async function noRoom(
  kinesis: KinesisClient,
  options: EnsureStreamConsumerOptions,
  what: string,
  cause: unknown,
): Promise<KineError> {
  const detail = cause instanceof Error ? cause.message : String(cause)
  let registered = ''
  try {
    const consumers = await listStreamConsumers(kinesis, { ...options, maxAttempts: 3 })
    // Registered after all (the refusals were the 5 calls/s limit): the caller's loop finds it.
    if (consumers.some((c) => c.consumerName === options.consumerName))
      return new KineError('THROTTLED', `RegisterStreamConsumer for ${what} kept being throttled`, {
        cause,
      })
    registered = `; ${consumers.length} registered: ${consumers.map((c) => c.consumerName).join(', ')}`
  } catch {
    // The listing is only for the message.
  }
  return new KineError(
    'AWS_ERROR',
    `cannot register ${what}: the stream has no room for another consumer (LimitExceededException: ${detail})${registered}. Deregister one it no longer needs.`,
    { cause },
  )
}

function toStreamConsumer(consumer: Consumer | ConsumerDescription, what: string): StreamConsumer {
  const status = consumer.ConsumerStatus
  if (
    typeof consumer.ConsumerName !== 'string' ||
    typeof consumer.ConsumerARN !== 'string' ||
    (status !== 'CREATING' && status !== 'ACTIVE' && status !== 'DELETING')
  )
    throw malformedResponseError(
      'the consumer description',
      'ConsumerName, ConsumerARN or ConsumerStatus',
      what,
    )
  return {
    consumerName: consumer.ConsumerName,
    consumerARN: consumer.ConsumerARN,
    status,
    createdAt: consumer.ConsumerCreationTimestamp,
  }
}
