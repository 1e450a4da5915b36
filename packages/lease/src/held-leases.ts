// The leases this worker holds, by shard id, and a way to wait until none is left (stop() waits
// for every pipeline to give its lease up, whichever way: released, handed off, lost, abandoned).

import type { HeldLease } from './held-lease.js'

/** The held leases of one worker. */
export class HeldLeases {
  readonly #byShard = new Map<string, HeldLease>()
  #onEmpty: (() => void)[] = []

  get size(): number {
    return this.#byShard.size
  }

  has(shardId: string): boolean {
    return this.#byShard.has(shardId)
  }

  /** A snapshot: the parts remove leases while callers iterate. */
  all(): HeldLease[] {
    return [...this.#byShard.values()]
  }

  shardIds(): Set<string> {
    return new Set(this.#byShard.keys())
  }

  add(h: HeldLease): void {
    this.#byShard.set(h.shardId, h)
  }

  /** Forgets `h` (not a newer hold of the same shard). */
  remove(h: HeldLease): void {
    if (this.#byShard.get(h.shardId) === h) this.#byShard.delete(h.shardId)
    if (this.#byShard.size > 0) return
    const waiters = this.#onEmpty
    this.#onEmpty = []
    for (const wake of waiters) wake()
  }

  /** Resolves once no lease is held (at once when none is). */
  emptied(): Promise<void> {
    if (this.#byShard.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#onEmpty.push(resolve))
  }
}
