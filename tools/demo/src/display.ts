// The live view: each shard's owner, checkpoint and lag, redrawn in place on a terminal; plain
// status lines every few seconds otherwise (CI logs, pipes).
import type { Lease } from '@kine/core'

export interface ShardRow {
  readonly shardId: string
  readonly lease: Lease | undefined
  readonly open: boolean
  readonly lag: number
}

const short = (shardId: string): string => shardId.replace(/^shardId-0*(?=\d)/, '#')

function checkpointText(lease: Lease | undefined): string {
  if (!lease) return '(no lease yet)'
  return /^\d+$/.test(lease.checkpoint) ? `…${lease.checkpoint.slice(-8)}` : lease.checkpoint
}

export function renderTable(
  elapsedS: number,
  rows: readonly ShardRow[],
  produced: number,
  processed: number,
  events: readonly string[],
): string {
  const lines = [
    `kine demo  t=${elapsedS.toFixed(0).padStart(3)} s   produced ${produced}   processed ${processed}`,
    '',
    `${'shard'.padEnd(7)} ${'state'.padEnd(7)} ${'owner'.padEnd(10)} ${'checkpoint'.padEnd(16)} lag`,
    ...rows.map((r) =>
      [
        short(r.shardId).padEnd(7),
        (r.open ? 'open' : 'closed').padEnd(7),
        (r.lease?.leaseOwner ?? '-').padEnd(10),
        checkpointText(r.lease).padEnd(16),
        String(r.lag),
      ].join(' '),
    ),
    '',
    ...events.slice(-6),
  ]
  return lines.join('\n')
}

export function renderLine(
  elapsedS: number,
  rows: readonly ShardRow[],
  produced: number,
  processed: number,
): string {
  const shards = rows
    .map((r) => `${short(r.shardId)}:${r.lease?.leaseOwner ?? '-'}/${r.lag}`)
    .join(' ')
  return `t=${elapsedS.toFixed(0)}s produced=${produced} processed=${processed} owner/lag: ${shards}`
}

/** Redraws a block in place on a terminal (cursor up, clear below). */
export class LiveBlock {
  #lines = 0
  constructor(private readonly out: NodeJS.WriteStream) {}
  draw(text: string): void {
    if (this.#lines > 0) this.out.write(`\x1b[${this.#lines}A\x1b[0J`)
    this.out.write(`${text}\n`)
    this.#lines = text.split('\n').length
  }
}
