// The two ways kine stops waiting on a call: when the caller's signal aborts, and when a deadline
// passes. One implementation of each, so every wait in the reader, the worker and the lease store
// gives up the same way: at once, with the abort's reason, and never leaving a late rejection
// unhandled.

import { abortReason, type Clock } from './clock.js'
import { KineError } from './errors.js'

/**
 * Settles with `promise`, or rejects with the signal's reason (an `AbortedError` when the reason is
 * not an Error) the moment `signal` aborts, whether or not the work behind `promise` honours it. A
 * late rejection of `promise` is absorbed, never unhandled.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {})
    return Promise.reject(abortReason(signal))
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(() => {})
      reject(abortReason(signal))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error instanceof Error ? error : new Error(String(error)))
      },
    )
  })
}

/** Options of {@link withDeadline}. */
interface DeadlineOptions {
  /** Where the deadline is timed. */
  readonly clock: Clock
  /** How long `call` may take; `Infinity` for no deadline. */
  readonly timeoutMs: number
  /** Names the call in the `TIMEOUT` error, e.g. `'GetItem'`. */
  readonly what: string
  /** The caller's signal: its abort stops `call` too. @defaultValue none */
  readonly signal?: AbortSignal | undefined
}

/**
 * Runs `call` with a signal that aborts when the caller's does, or once `timeoutMs` has passed on
 * `clock`; rejects with the caller's abort reason, or a retryable `TIMEOUT` KineError, at that
 * moment even if `call` ignores its signal.
 */
export async function withDeadline<T>(
  options: DeadlineOptions,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { clock, timeoutMs, what, signal } = options
  const controller = new AbortController()
  const onAbort = (): void => controller.abort(abortReason(signal))
  if (signal?.aborted) onAbort()
  else signal?.addEventListener('abort', onAbort, { once: true })
  const timer = new AbortController()
  if (timeoutMs !== Infinity) {
    clock.sleep(timeoutMs, timer.signal).then(
      () => controller.abort(new KineError('TIMEOUT', `${what} took over ${timeoutMs} ms`)),
      () => {}, // finished in time
    )
  }
  try {
    return await raceAbort(call(controller.signal), controller.signal)
  } finally {
    timer.abort()
    signal?.removeEventListener('abort', onAbort)
  }
}
