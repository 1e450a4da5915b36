// Turns `kine pull`'s flags into a start position, checking every combination up front so the
// user sees all mistakes at once (one InvalidConfigError, exit code 2).

import { InvalidConfigError, type ShardPosition } from '@kine/core'

/** The `-t` values (the GetShardIterator types `pull` offers). */
export const ITERATOR_TYPES = [
  'LATEST',
  'TRIM_HORIZON',
  'AT_TIMESTAMP',
  'AT_SEQUENCE_NUMBER',
] as const
type IteratorType = (typeof ITERATOR_TYPES)[number]

/** The `-z` values and their fixed wait between two calls on a shard, as the original. */
export const SPEEDS = { slow: 3000, normal: 2000, fast: 1000 } as const

/** The flags that decide where reading starts. */
interface PositionFlags {
  readonly type: IteratorType
  readonly timestamp?: string | undefined
  readonly sequenceNumber?: string | undefined
  readonly shardIds: readonly string[]
}

/**
 * A `-d` value: epoch milliseconds (digits only) or a date `Date.parse` reads (ISO 8601).
 * @returns undefined when it is neither
 */
export function parseTimestamp(text: string): Date | undefined {
  const trimmed = text.trim()
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) : Date.parse(trimmed)
  if (!Number.isFinite(ms)) return undefined
  const date = new Date(ms)
  return Number.isFinite(date.getTime()) ? date : undefined
}

/** `7` or `000000000007` → `shardId-000000000007`; anything else is kept as given. */
export function normalizeShardId(id: string): string {
  return /^\d{1,12}$/.test(id) ? `shardId-${id.padStart(12, '0')}` : id
}

/** The start position for the chosen shards; throws one error listing every problem. */
export function startPosition(flags: PositionFlags): ShardPosition {
  const problems: string[] = []
  let timestamp: Date | undefined
  if (flags.type === 'AT_TIMESTAMP') {
    if (flags.timestamp === undefined) {
      problems.push(
        '-t AT_TIMESTAMP needs -d <timestamp>: epoch milliseconds (1499476500000) or an ISO date (2017-07-08T01:15:00Z)',
      )
    }
  } else if (flags.timestamp !== undefined) {
    problems.push(`-d is only used with -t AT_TIMESTAMP (-t is ${flags.type})`)
  }
  if (flags.timestamp !== undefined) {
    timestamp = parseTimestamp(flags.timestamp)
    if (timestamp === undefined) {
      problems.push(
        `-d ${JSON.stringify(flags.timestamp)} is not a timestamp: give epoch milliseconds (1499476500000) or an ISO date (2017-07-08T01:15:00Z)`,
      )
    }
  }
  if (flags.type === 'AT_SEQUENCE_NUMBER') {
    if (flags.sequenceNumber === undefined) {
      problems.push('-t AT_SEQUENCE_NUMBER needs -s <sequence number>')
    }
    if (flags.shardIds.length !== 1) {
      problems.push(
        '-t AT_SEQUENCE_NUMBER reads one shard (a sequence number belongs to one): give exactly one -i <shard id>',
      )
    }
  } else if (flags.sequenceNumber !== undefined) {
    problems.push(`-s is only used with -t AT_SEQUENCE_NUMBER (-t is ${flags.type})`)
  }
  if (flags.sequenceNumber !== undefined && !/^\d{1,128}$/.test(flags.sequenceNumber)) {
    problems.push(
      `-s ${JSON.stringify(flags.sequenceNumber)} is not a sequence number (digits only)`,
    )
  }
  if (problems.length > 0) throw new InvalidConfigError('flags', problems)
  switch (flags.type) {
    case 'LATEST':
    case 'TRIM_HORIZON':
      return flags.type
    case 'AT_TIMESTAMP':
      return { type: 'AT_TIMESTAMP', timestamp: timestamp as Date }
    case 'AT_SEQUENCE_NUMBER':
      return { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: flags.sequenceNumber as string }
  }
}

/**
 * Where a child shard reached by --follow-children starts: at its beginning, so nothing written
 * after the parent ended is missed; with AT_TIMESTAMP, at the timestamp (Kinesis then starts at
 * the later of the timestamp and the child's first record).
 */
export function childPosition(position: ShardPosition): ShardPosition {
  return typeof position === 'object' && position.type === 'AT_TIMESTAMP'
    ? position
    : 'TRIM_HORIZON'
}
