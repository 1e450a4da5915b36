// Faults a test injects into an in-memory client: a call refused before it applies, a call that
// applies but whose response is lost (what a timeout or a dropped connection looks like to the
// caller), or a call that never answers until its caller gives up. Shared by the in-memory table
// and the in-memory Kinesis so both are faulted the same way.

/** What an injected fault does to a call it matches. */
export type FaultMode =
  /** The call is refused with the error; nothing is applied. */
  | 'refuse'
  /** The call is applied, then the caller gets the error instead of the response. */
  | 'lose-response'
  /** The call never answers; it rejects (`AbortError`) once the caller's signal aborts. */
  | 'hang'

/** One fault to inject, by operation name (`UpdateItem`, `GetRecords`, ...). */
export interface FaultSpec<Operation extends string> {
  readonly operation: Operation
  /** @defaultValue 'refuse' */
  readonly mode?: FaultMode
  /**
   * What the caller gets. An SDK exception (`new ProvisionedThroughputExceededException(...)`)
   * for a service error.
   * @defaultValue a network error (`ECONNRESET`), which kine treats as transient
   */
  readonly error?: Error
  /** Only calls whose command input this accepts. @defaultValue every call of the operation */
  readonly when?: (input: Record<string, unknown>) => boolean
  /** How many matching calls it hits before it is gone. @defaultValue 1; `Infinity` until removed */
  readonly times?: number
}

/** A fault that is in place; `remove()` takes it out before its `times` are used up. */
export interface InjectedFault {
  /** Matching calls it has hit so far. */
  readonly hits: number
  remove(): void
}

interface Active<Operation extends string> {
  readonly spec: FaultSpec<Operation>
  hits: number
  removed: boolean
}

/** The faults in place on one in-memory client, matched in the order they were injected. */
export class Faults<Operation extends string> {
  #active: Active<Operation>[] = []

  /** Injects a fault: the next matching call(s) fail as `spec` says. */
  inject(spec: FaultSpec<Operation>): InjectedFault {
    const active: Active<Operation> = { spec, hits: 0, removed: false }
    this.#active.push(active)
    return {
      get hits() {
        return active.hits
      },
      remove: () => {
        active.removed = true
        this.#active = this.#active.filter((a) => a !== active)
      },
    }
  }

  /** Removes every fault. */
  clear(): void {
    for (const a of this.#active) a.removed = true
    this.#active = []
  }

  /** The fault that hits this call, if any (counting the hit). */
  take(
    operation: Operation,
    input: Record<string, unknown>,
  ): Required<Omit<FaultSpec<Operation>, 'when' | 'times'>> | undefined {
    const active = this.#active.find(
      (a) => a.spec.operation === operation && (a.spec.when?.(input) ?? true),
    )
    if (active === undefined) return undefined
    active.hits += 1
    if (active.hits >= (active.spec.times ?? 1)) {
      active.removed = true
      this.#active = this.#active.filter((a) => a !== active)
    }
    return {
      operation,
      mode: active.spec.mode ?? 'refuse',
      error: active.spec.error ?? networkError(),
    }
  }
}

/** Runs `apply` under the fault that hits this call, as that fault's mode says. */
export async function underFault<Operation extends string, T>(
  faults: Faults<Operation>,
  operation: Operation,
  input: Record<string, unknown>,
  signal: AbortSignal | undefined,
  apply: () => T,
): Promise<T> {
  const fault = faults.take(operation, input)
  if (fault === undefined) return apply()
  switch (fault.mode) {
    case 'refuse':
      throw fault.error
    case 'lose-response':
      // Whatever the answer would have been (a result or a refusal), the caller never sees it.
      try {
        apply()
      } catch {
        // lost with the response
      }
      throw fault.error
    case 'hang':
      return new Promise<T>((_resolve, reject) => {
        signal?.addEventListener('abort', () => reject(abortError(signal)), { once: true })
      })
  }
}

/** What the SDK rejects with when a call's `abortSignal` aborts. */
export function abortError(signal: AbortSignal): Error {
  const error = new Error('Request aborted', { cause: signal.reason })
  error.name = 'AbortError'
  return error
}

function networkError(): Error {
  return Object.assign(new Error('socket hang up (injected fault)'), { code: 'ECONNRESET' })
}
