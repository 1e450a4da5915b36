// A minimal typed event emitter: listeners per event name; a listener that throws is logged and
// never breaks the worker.

import type { Logger } from '@kine/core'
import type { ConsumerEvents, ConsumerListener } from './context.js'

/** Holds and calls the listeners of a Consumer's events. */
export class ConsumerEmitter {
  readonly #listeners = new Map<keyof ConsumerEvents, Set<(payload: never) => void>>()
  readonly #logger: Logger

  constructor(logger: Logger) {
    this.#logger = logger
  }

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof ConsumerEvents>(event: E, listener: ConsumerListener<E>): () => void {
    const set = this.#listeners.get(event) ?? new Set()
    set.add(listener)
    this.#listeners.set(event, set)
    return () => {
      set.delete(listener)
    }
  }

  /** Calls every listener of `event` with `payload`. */
  emit<E extends keyof ConsumerEvents>(event: E, payload: ConsumerEvents[E]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        ;(listener as ConsumerListener<E>)(payload)
      } catch (error) {
        this.#logger.error({ err: error, event }, 'a Consumer event listener threw')
      }
    }
  }
}
