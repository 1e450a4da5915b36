// The demo's ledger: what was produced, what each worker processed, in the order the orchestrator
// heard it; and the verdict. At-least-once allows duplicates; nothing else may go wrong.

import type { DeliveredRecord } from './messages.js'

export interface Verdict {
  readonly produced: number
  /** Distinct produced records delivered at least once. */
  readonly processed: number
  readonly lost: number
  /** Deliveries beyond the first of each record. */
  readonly duplicates: number
  /** First deliveries of a key whose number is not above every earlier first delivery of that key. */
  readonly orderViolations: number
  /** Child shards whose first record arrived before one of their parents had ended. */
  readonly childrenBeforeParents: number
  /** Delivered records that were never produced (should be impossible). */
  readonly unknown: number
  readonly ok: boolean
}

const id = (key: string, n: number): string => `${key}#${n}`

export class Ledger {
  readonly #produced = new Map<string, string>() // record id -> shard it was written to
  readonly #producedPerShard = new Map<string, number>()
  readonly #deliveries = new Map<string, number>()
  readonly #lastFirstN = new Map<string, number>()
  readonly #processedPerShard = new Map<string, number>()
  readonly #endedShards = new Set<string>()
  readonly #startedShards = new Set<string>()
  #orderViolations = 0
  #childrenBeforeParents = 0
  #duplicates = 0
  #unknown = 0

  /** A record the stream acknowledged. */
  produced(key: string, n: number, shardId: string): void {
    this.#produced.set(id(key, n), shardId)
    this.#producedPerShard.set(shardId, (this.#producedPerShard.get(shardId) ?? 0) + 1)
  }

  /**
   * Records a worker delivered to its handler. `parentsOf` gives the shard's parents from the
   * stream's lineage, to check that none of them is still unfinished.
   */
  delivered(
    shardId: string,
    records: readonly DeliveredRecord[],
    parentsOf: (shardId: string) => readonly string[],
  ): void {
    if (records.length > 0 && !this.#startedShards.has(shardId)) {
      this.#startedShards.add(shardId)
      if (parentsOf(shardId).some((p) => !this.#endedShards.has(p))) this.#childrenBeforeParents++
    }
    for (const r of records) {
      const rid = id(r.key, r.n)
      if (!this.#produced.has(rid)) {
        this.#unknown++
        continue
      }
      const seen = this.#deliveries.get(rid) ?? 0
      this.#deliveries.set(rid, seen + 1)
      if (seen > 0) {
        this.#duplicates++
        continue
      }
      this.#processedPerShard.set(shardId, (this.#processedPerShard.get(shardId) ?? 0) + 1)
      const last = this.#lastFirstN.get(r.key)
      if (last !== undefined && r.n <= last) this.#orderViolations++
      this.#lastFirstN.set(r.key, Math.max(last ?? -1, r.n))
    }
  }

  shardEnded(shardId: string): void {
    this.#endedShards.add(shardId)
  }

  /** Produced records of a shard not yet delivered: what the live view shows as lag. */
  lag(shardId: string): number {
    return (this.#producedPerShard.get(shardId) ?? 0) - (this.#processedPerShard.get(shardId) ?? 0)
  }

  get producedCount(): number {
    return this.#produced.size
  }

  get processedCount(): number {
    return this.#deliveries.size
  }

  verdict(): Verdict {
    const produced = this.#produced.size
    const processed = this.#deliveries.size
    const lost = produced - processed
    const result = {
      produced,
      processed,
      lost,
      duplicates: this.#duplicates,
      orderViolations: this.#orderViolations,
      childrenBeforeParents: this.#childrenBeforeParents,
      unknown: this.#unknown,
    }
    return {
      ...result,
      ok:
        lost === 0 &&
        result.orderViolations === 0 &&
        result.childrenBeforeParents === 0 &&
        result.unknown === 0 &&
        produced > 0,
    }
  }
}
