// Progress of `kine pull` on stderr (stdout carries only records): a block redrawn in place on a
// terminal, or plain lines (the original's "Found N records in <shard>. ms behind is M") when
// stderr is a file or a pipe.

import { formatDuration } from '../format.js'

/**
 * - `live`: one line per shard, redrawn in place (stderr is a terminal, and records do not go to
 *   that same terminal)
 * - `lines`: a line per non-empty batch and per shard event
 * - `events`: shard events only (records go to the terminal too: keep it readable)
 * - `quiet`: nothing
 */
export type ProgressMode = 'live' | 'lines' | 'events' | 'quiet'

interface ShardProgress {
  records: number
  millisBehindLatest: number | undefined
  state: 'reading' | 'waiting' | 'ended'
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

/** Where progress goes. */
interface ProgressOptions {
  readonly mode: ProgressMode
  readonly write: (text: string) => void
}

/** Collects per-shard counts and shows them. */
export class PullProgress {
  readonly #mode: ProgressMode
  readonly #write: (text: string) => void
  readonly #shards = new Map<string, ShardProgress>()
  #drawnLines = 0
  #dirty = false

  constructor(options: ProgressOptions) {
    this.#mode = options.mode
    this.#write = options.write
  }

  /** Records written so far, over every shard. */
  get total(): number {
    let sum = 0
    for (const shard of this.#shards.values()) sum += shard.records
    return sum
  }

  /** Shards read (or being read) so far; not those still waiting for their parents. */
  get shardCount(): number {
    let count = 0
    for (const shard of this.#shards.values()) if (shard.state !== 'waiting') count += 1
    return count
  }

  /** A shard waits for its parents to finish before it is read. */
  shardWaiting(shardId: string): void {
    this.#shard(shardId).state = 'waiting'
    this.#dirty = true
  }

  shardStarted(shardId: string, position: string): void {
    this.#shard(shardId).state = 'reading'
    this.#dirty = true
    if (this.#mode === 'lines' || this.#mode === 'events') {
      this.#write(`Reading ${shardId} from ${position}\n`)
    }
  }

  /** A batch was read and its records written. */
  batch(shardId: string, records: number, millisBehindLatest: number | undefined): void {
    const shard = this.#shard(shardId)
    shard.records += records
    if (millisBehindLatest !== undefined) shard.millisBehindLatest = millisBehindLatest
    this.#dirty = true
    if (this.#mode === 'lines' && records > 0) {
      this.#write(
        `Found ${records} records in ${shardId}. ms behind is ${millisBehindLatest ?? 'unknown'}\n`,
      )
    }
  }

  shardEnded(shardId: string, children: readonly string[]): void {
    this.#shard(shardId).state = 'ended'
    this.#dirty = true
    if (this.#mode === 'lines' || this.#mode === 'events') {
      const next = children.length === 0 ? '' : `; children ${children.join(', ')}`
      this.#write(`${shardId} ended${next}\n`)
    }
  }

  /** Writes a log line; in live mode above the block, which is then drawn again below it. */
  interject(line: string): void {
    if (this.#mode === 'live' && this.#drawnLines > 0) {
      this.#write(`\x1b[${this.#drawnLines}A\x1b[J`)
      this.#drawnLines = 0
      this.#dirty = true
    }
    this.#write(line)
  }

  /** Redraws the live block if anything changed (called on a timer). */
  render(): void {
    if (this.#mode !== 'live' || !this.#dirty) return
    this.#dirty = false
    const lines = [...this.#shards].map(([id, s]) => {
      const behind = s.millisBehindLatest === undefined ? '?' : formatDuration(s.millisBehindLatest)
      const state = s.state === 'reading' ? `${behind} behind` : s.state
      return `${id}  ${String(s.records).padStart(9)} records  ${state}`
    })
    // Move up over the previous block and clear each line as it is rewritten.
    const up = this.#drawnLines > 0 ? `\x1b[${this.#drawnLines}A` : ''
    this.#write(`${up}${lines.map((l) => `\x1b[2K${l}\n`).join('')}`)
    this.#drawnLines = lines.length
  }

  /** The last redraw and a summary line. */
  finish(reason: string, elapsedMs: number): void {
    this.#dirty = true
    this.render()
    if (this.#mode !== 'quiet') {
      this.#write(
        `Pulled ${plural(this.total, 'record')} from ${plural(this.shardCount, 'shard')} in ${formatDuration(elapsedMs)} (${reason}).\n`,
      )
    }
  }

  #shard(shardId: string): ShardProgress {
    let shard = this.#shards.get(shardId)
    if (shard === undefined) {
      shard = { records: 0, millisBehindLatest: undefined, state: 'reading' }
      this.#shards.set(shardId, shard)
    }
    return shard
  }
}
