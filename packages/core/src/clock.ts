// Everything in kine that waits or measures time goes through a Clock, so tests can drive
// time by hand and lease expiry never depends on wall clocks agreeing across hosts.

import { AbortedError } from './errors.js'

export interface Clock {
  /** Monotonic milliseconds: only differences mean anything. Used for every interval and expiry. */
  now(): number
  /** Wall-clock milliseconds since the epoch: only for timestamps shown to people or AWS. */
  wallNow(): number
  /**
   * Resolves after `ms`; rejects with an `AbortedError` (or the signal's reason) as soon as
   * `signal` aborts. Whatever sleeps takes a signal, and stopping aborts it.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/**
 * The real clock: `performance.now()` for intervals, `Date.now()` for timestamps. Its sleeps keep
 * the process alive (a reader waiting for records is work in progress).
 */
export const systemClock: Clock = realClock(true)

/**
 * The real clock for housekeeping timers (a metrics sink's flush): its sleeps never hold the
 * process open, so an app that ends without closing the sink still exits.
 */
export const backgroundClock: Clock = realClock(false)

function realClock(keepAlive: boolean): Clock {
  return {
    now: () => performance.now(),
    wallNow: () => Date.now(),
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      return new Promise((resolve, reject) => {
        if (signal?.aborted) {
          reject(abortReason(signal))
          return
        }
        const onAbort = (): void => {
          clearTimeout(timer)
          reject(abortReason(signal))
        }
        const timer = setTimeout(
          () => {
            signal?.removeEventListener('abort', onAbort)
            resolve()
          },
          Math.max(0, ms),
        )
        if (!keepAlive) timer.unref()
        signal?.addEventListener('abort', onAbort, { once: true })
      })
    },
  }
}

/** The error a wait rejects with when its signal aborts: the signal's own reason if it is an Error. */
export function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason
  return reason instanceof Error ? reason : new AbortedError()
}

/** A clock tests move by hand: `advance(ms)` resolves every sleep that falls due, in order. */
export class ManualClock implements Clock {
  #now: number
  #wallOffset: number
  #sleepers: { due: number; resolve: () => void }[] = []

  constructor(start: number = 0, wallStart: number = Date.UTC(2026, 0, 1)) {
    this.#now = start
    this.#wallOffset = wallStart - start
  }

  now(): number {
    return this.#now
  }

  wallNow(): number {
    return this.#now + this.#wallOffset
  }

  /** Shifts the wall clock only (a skewed host); monotonic time is untouched. */
  skewWall(ms: number): void {
    this.#wallOffset += ms
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal))
        return
      }
      const entry = {
        due: this.#now + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
      }
      const onAbort = (): void => {
        this.#sleepers = this.#sleepers.filter((s) => s !== entry)
        reject(abortReason(signal))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#sleepers.push(entry)
    })
  }

  /** Number of sleeps not yet due. */
  get pending(): number {
    return this.#sleepers.length
  }

  /** Moves time forward, waking sleepers in due order and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms
    for (;;) {
      await flushMicrotasks()
      const next = this.#sleepers.filter((s) => s.due <= target).sort((a, b) => a.due - b.due)[0]
      if (!next) break
      this.#now = Math.max(this.#now, next.due)
      this.#sleepers = this.#sleepers.filter((s) => s !== next)
      next.resolve()
    }
    this.#now = target
    await flushMicrotasks()
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}
