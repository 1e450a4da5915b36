// The default clock of the sinks. A sink's timers are housekeeping: an app that ends without
// calling close() must still exit, so unlike core's systemClock (whose sleeps are work in
// progress and keep the process alive), these sleeps never hold the event loop open.

import { abortReason, systemClock, type Clock } from '@kine/core'

/** The system clock, with sleeps whose timers are unref'd. */
export const backgroundClock: Clock = {
  now: () => systemClock.now(),
  wallNow: () => systemClock.wallNow(),
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
      timer.unref()
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  },
}
