// The lifecycle both sinks share: a tick every flush interval on the injected clock, an optional
// AbortSignal that closes the sink, and a close that runs once. Its only timer is the clock's
// sleep, which never keeps the process alive and is cancelled by close().

import type { Clock } from '@kine/core'

export interface FlushLoopOptions {
  readonly clock: Clock
  readonly interval: number
  /** Called every interval; must not throw (sinks start their sending in the background). */
  readonly tick: () => void
  /** Runs once, on close() or when `signal` aborts: the sink's final flush. Must not reject. */
  readonly onClose: () => Promise<void>
  readonly signal: AbortSignal | undefined
}

/** Runs `tick` every interval until closed. */
export class FlushLoop {
  readonly #options: FlushLoopOptions
  readonly #stop = new AbortController()
  readonly #running: Promise<void>
  #closing: Promise<void> | undefined
  readonly #onAbort = (): void => {
    void this.close()
  }

  constructor(options: FlushLoopOptions) {
    this.#options = options
    this.#running = this.#run()
    if (options.signal?.aborted) void this.close()
    else options.signal?.addEventListener('abort', this.#onAbort, { once: true })
  }

  /** True once close() was called (or the signal aborted). */
  get closed(): boolean {
    return this.#closing !== undefined
  }

  /** Stops the timer, then runs the final flush; resolves once both are done. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#options.signal?.removeEventListener('abort', this.#onAbort)
    this.#stop.abort()
    await this.#running
    await this.#options.onClose()
  }

  async #run(): Promise<void> {
    const { clock, interval, tick } = this.#options
    for (;;) {
      try {
        await clock.sleep(interval, this.#stop.signal)
      } catch {
        return // closed
      }
      try {
        tick()
      } catch {
        // Sinks do not throw from tick; this only keeps a bug from becoming an unhandled rejection.
      }
    }
  }
}
