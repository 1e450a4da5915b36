// One Kinesis call as the reader makes it: gated by the shard's governor (each attempt, SDK
// retries included), each attempt timed out on its own, abandoned at once when the caller's signal
// aborts, and its attempts reconciled with `$metadata.attempts` so none escapes the count.

import { raceAbort } from '../abort.js'
import { abortReason, type Clock } from '../clock.js'
import { KineError } from '../errors.js'
import {
  governAttempts,
  type CommandWithStack,
  type ShardThrottle,
  type ThrottledOperation,
} from './throttle.js'

/** What a governed send needs; one per reader. */
export interface GovernedSendContext {
  readonly throttle: ShardThrottle
  readonly clock: Clock
  /** Per-attempt timeout; `Infinity` for none. */
  readonly requestTimeoutMs: number
  readonly signal: AbortSignal | undefined
  /** Called for every failed attempt (seen by the middleware, or the final one otherwise). */
  readonly onAttemptError?: (operation: string, error: unknown) => void
  /** Called once per send, settled or failed, with the number of attempts it made. */
  readonly onAttempts?: (operation: string, attempts: number) => void
}

/** The output of a send and how many attempts it took. */
export interface GovernedResult<T> {
  readonly output: T
  readonly attempts: number
}

/** The per-call options the SDK takes. */
interface SendOptions {
  readonly abortSignal: AbortSignal
}

/**
 * Sends `command` through `call` (which must hand the options to `client.send`).
 * `operation` names the metered operation, or is undefined for one the governor does not meter.
 * Rejects with the caller's abort reason on abort, with a retryable `TIMEOUT` KineError when an
 * attempt hangs, else with the SDK's error (carrying `$metadata.attempts`).
 */
export async function governedSend<T>(
  context: GovernedSendContext,
  operation: ThrottledOperation | undefined,
  name: string,
  command: CommandWithStack,
  call: (options: SendOptions) => Promise<T>,
): Promise<GovernedResult<T>> {
  const { throttle, clock, signal } = context
  if (signal?.aborted) throw abortReason(signal)
  // The first attempt is admitted here, so a client that skips the command's middleware (a test
  // double, a wrapper) is still gated; the middleware admits the SDK's retries.
  if (operation !== undefined) await throttle.acquire(operation, signal)

  const controller = new AbortController()
  const onAbort = (): void => controller.abort(abortReason(signal))
  signal?.addEventListener('abort', onAbort, { once: true })
  const timer = new AttemptTimer(clock, context.requestTimeoutMs, () =>
    controller.abort(
      new KineError('TIMEOUT', `${name} got no response within ${context.requestTimeoutMs} ms`),
    ),
  )

  let seen = 0
  governAttempts(command, {
    before: async (attempt) => {
      seen = attempt
      if (operation !== undefined) {
        if (attempt === 1) throttle.restamp(operation)
        else {
          // Waiting for the governor is not the request hanging.
          timer.disarm()
          await throttle.acquire(operation, controller.signal)
        }
      }
      timer.arm()
    },
    after: (_attempt, error) => {
      timer.disarm()
      if (error !== undefined) context.onAttemptError?.(name, error)
    },
  })

  timer.arm()
  try {
    const output = await raceAbort(call({ abortSignal: controller.signal }), controller.signal)
    const attempts = Math.max(seen, metadataAttempts(output) ?? 1)
    if (operation !== undefined) throttle.charge(operation, attempts - Math.max(seen, 1))
    context.onAttempts?.(name, attempts)
    return { output, attempts }
  } catch (error) {
    const attempts = Math.max(seen, metadataAttempts(error) ?? 1)
    if (operation !== undefined) throttle.charge(operation, attempts - Math.max(seen, 1))
    context.onAttempts?.(name, attempts)
    if (seen === 0)
      context.onAttemptError?.(name, controller.signal.aborted ? controller.signal.reason : error)
    // Our own abort (the caller's signal or a timeout) explains the failure better than the
    // SDK's generic AbortError.
    if (controller.signal.aborted) throw controller.signal.reason as Error
    throw error
  } finally {
    timer.disarm()
    signal?.removeEventListener('abort', onAbort)
  }
}

function metadataAttempts(value: unknown): number | undefined {
  const attempts = (value as { $metadata?: { attempts?: unknown } } | null | undefined)?.$metadata
    ?.attempts
  return typeof attempts === 'number' && attempts >= 1 ? attempts : undefined
}

/** Fires `onTimeout` when armed for `ms` without being disarmed; re-arming restarts it. */
class AttemptTimer {
  readonly #clock: Clock
  readonly #ms: number
  readonly #onTimeout: () => void
  #current: AbortController | undefined

  constructor(clock: Clock, ms: number, onTimeout: () => void) {
    this.#clock = clock
    this.#ms = ms
    this.#onTimeout = onTimeout
  }

  arm(): void {
    this.disarm()
    if (this.#ms === Infinity) return
    const controller = new AbortController()
    this.#current = controller
    this.#clock.sleep(this.#ms, controller.signal).then(
      () => {
        if (this.#current === controller) {
          this.#current = undefined
          this.#onTimeout()
        }
      },
      () => {}, // disarmed
    )
  }

  disarm(): void {
    this.#current?.abort()
    this.#current = undefined
  }
}
