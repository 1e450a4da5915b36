// A scenario's ledger (a chaos scenario's or the demo's): what the producer wrote, what the workers delivered (as batches, in the
// order the orchestrator heard them), and the verdict: lost, duplicates, per-key order, children
// read before their parents ended, and whether records written after the last fault were all
// processed (resumption). Duplicates are also counted per phase (between marks such as "dynamodb
// outage begins"), with the most duplicate batches any shard delivered in it, to compare with the
// bound the issue asks for (at most two delivered batches per shard without a checkpoint). Per
// shard, what is produced but not yet delivered is the lag the demo's live view shows.
// A worker can deliver a record before the orchestrator has read the PutRecords answer that
// acknowledged it (the two travel on different sockets), so a delivery of a record not yet produced
// is kept and counts once the acknowledgement arrives; only what is never produced is unknown.
import type { DeliveredRecord } from './messages.js'

/** Duplicates delivered between one mark and the next. */
export interface PhaseDuplicates {
  readonly label: string
  readonly fromMs: number
  /** Deliveries beyond the first of a record, in this phase. */
  readonly duplicates: number
  /** The most batches holding a duplicate that one shard delivered in this phase. */
  readonly maxDuplicateBatchesPerShard: number
}

/** Lost records of one shard. */
export interface ShardLoss {
  readonly shardId: string
  readonly lost: number
  /** When the first and last lost record was produced, ms into the scenario. */
  readonly producedFromMs: number
  readonly producedToMs: number
  /** A few of them, `key#n`. */
  readonly examples: readonly string[]
}

export interface LedgerVerdict {
  readonly produced: number
  /** Distinct produced records delivered at least once. */
  readonly processed: number
  readonly lost: number
  /** Deliveries beyond the first of each record. */
  readonly duplicates: number
  /** First deliveries of a key whose number is not above every earlier first delivery of it. */
  readonly orderViolations: number
  /** Child shards whose first record arrived before one of their parents had ended. */
  readonly childrenBeforeParents: number
  /** Deliveries of records that were never produced (should be impossible). */
  readonly unknown: number
  /** Records produced after the last fault ended, and how many of them were processed. */
  readonly producedAfterFaults: number
  readonly processedAfterFaults: number
  readonly resumed: boolean
  readonly phases: readonly PhaseDuplicates[]
  readonly losses: readonly ShardLoss[]
}

interface Produced {
  readonly shardId: string
  readonly atMs: number
}

const id = (key: string, n: number): string => `${key}#${n}`

export class Ledger {
  readonly #produced = new Map<string, Produced>()
  readonly #producedPerShard = new Map<string, number>()
  readonly #processedPerShard = new Map<string, number>()
  readonly #deliveries = new Map<string, number>()
  readonly #lastFirstN = new Map<string, number>()
  readonly #endedShards = new Set<string>()
  readonly #startedShards = new Set<string>()
  readonly #phases: {
    label: string
    fromMs: number
    duplicates: number
    batches: Map<string, number>
  }[] = [{ label: 'start', fromMs: 0, duplicates: 0, batches: new Map() }]
  #orderViolations = 0
  #childrenBeforeParents = 0
  #duplicates = 0
  /** Distinct produced records delivered at least once. */
  #processed = 0

  /** A record the stream acknowledged, `atMs` into the scenario. */
  produced(key: string, n: number, shardId: string, atMs: number): void {
    const rid = id(key, n)
    this.#produced.set(rid, { shardId, atMs })
    if (this.#deliveries.has(rid)) this.#processed++ // delivered before its acknowledgement arrived
    this.#producedPerShard.set(shardId, (this.#producedPerShard.get(shardId) ?? 0) + 1)
  }

  /** Starts a new phase of the duplicate count. */
  mark(label: string, atMs: number): void {
    this.#phases.push({ label, fromMs: atMs, duplicates: 0, batches: new Map() })
  }

  /**
   * A batch a worker delivered to its handler. `parentsOf` gives the shard's parents from the
   * stream's lineage, to check that none of them was still unfinished.
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
    const phase = this.#phases[this.#phases.length - 1]!
    let batchHasDuplicate = false
    for (const r of records) {
      const rid = id(r.key, r.n)
      const seen = this.#deliveries.get(rid) ?? 0
      this.#deliveries.set(rid, seen + 1)
      if (seen > 0) {
        this.#duplicates++
        phase.duplicates++
        batchHasDuplicate = true
        continue
      }
      if (this.#produced.has(rid)) this.#processed++
      this.#processedPerShard.set(shardId, (this.#processedPerShard.get(shardId) ?? 0) + 1)
      const last = this.#lastFirstN.get(r.key)
      if (last !== undefined && r.n <= last) this.#orderViolations++
      this.#lastFirstN.set(r.key, Math.max(last ?? -1, r.n))
    }
    if (batchHasDuplicate) phase.batches.set(shardId, (phase.batches.get(shardId) ?? 0) + 1)
  }

  shardEnded(shardId: string): void {
    this.#endedShards.add(shardId)
  }

  /** Records produced to a shard and not yet delivered from it. */
  lag(shardId: string): number {
    return (this.#producedPerShard.get(shardId) ?? 0) - (this.#processedPerShard.get(shardId) ?? 0)
  }

  get producedCount(): number {
    return this.#produced.size
  }

  get processedCount(): number {
    return this.#processed
  }

  /** Whether every record produced at or after `sinceMs` was delivered. */
  caughtUpSince(sinceMs: number): boolean {
    for (const [rid, p] of this.#produced)
      if (p.atMs >= sinceMs && !this.#deliveries.has(rid)) return false
    return true
  }

  /** The verdict; resumption is judged on the records produced at or after `faultsEndedMs`. */
  verdict(faultsEndedMs: number): LedgerVerdict {
    let producedAfter = 0
    let processedAfter = 0
    const lossByShard = new Map<string, { lost: number; from: number; to: number; ex: string[] }>()
    for (const [rid, p] of this.#produced) {
      const done = this.#deliveries.has(rid)
      if (p.atMs >= faultsEndedMs) {
        producedAfter++
        if (done) processedAfter++
      }
      if (!done) {
        const l = lossByShard.get(p.shardId) ?? { lost: 0, from: Infinity, to: 0, ex: [] }
        l.lost++
        l.from = Math.min(l.from, p.atMs)
        l.to = Math.max(l.to, p.atMs)
        if (l.ex.length < 3) l.ex.push(rid)
        lossByShard.set(p.shardId, l)
      }
    }
    const produced = this.#produced.size
    const processed = this.#processed
    let unknown = 0
    for (const [rid, count] of this.#deliveries) if (!this.#produced.has(rid)) unknown += count
    return {
      produced,
      processed,
      lost: produced - processed,
      duplicates: this.#duplicates,
      orderViolations: this.#orderViolations,
      childrenBeforeParents: this.#childrenBeforeParents,
      unknown,
      producedAfterFaults: producedAfter,
      processedAfterFaults: processedAfter,
      resumed: producedAfter > 0 && processedAfter === producedAfter,
      phases: this.#phases.map((p) => ({
        label: p.label,
        fromMs: p.fromMs,
        duplicates: p.duplicates,
        maxDuplicateBatchesPerShard: Math.max(0, ...p.batches.values()),
      })),
      losses: [...lossByShard]
        .map(([shardId, l]) => ({
          shardId,
          lost: l.lost,
          producedFromMs: l.from,
          producedToMs: l.to,
          examples: l.ex,
        }))
        .sort((a, b) => a.shardId.localeCompare(b.shardId)),
    }
  }
}
