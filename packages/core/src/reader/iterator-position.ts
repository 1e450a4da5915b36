// Where a shard read starts, and how that becomes a GetShardIterator request. A checkpoint is
// resumed AT its sequence number (not after it) so the rest of a KPL aggregate is not skipped;
// the records up to the checkpoint are then dropped by the batch builder.

import type { GetShardIteratorCommandInput } from '@aws-sdk/client-kinesis'
import type { RecordPosition } from '../sequence-number.js'

const SEQUENCE_NUMBER = /^\d{1,128}$/

/**
 * Where a {@link ShardReader} starts reading.
 *
 * - `'TRIM_HORIZON'` / `{ type: 'TRIM_HORIZON' }`: the oldest record still in the shard.
 * - `'LATEST'` / `{ type: 'LATEST' }`: only records written after the first iterator is issued.
 *   (Should that iterator expire before any record came, reading resumes AT_TIMESTAMP of the
 *   moment it was asked for, by this host's clock, so records written meanwhile are not skipped.)
 * - `AT_TIMESTAMP`: the first record that arrived at or after `timestamp`.
 * - `AT_SEQUENCE_NUMBER` / `AFTER_SEQUENCE_NUMBER`: at or after one Kinesis record (a whole KPL
 *   aggregate shares one sequence number).
 * - `AFTER_CHECKPOINT`: every user record after (`sequenceNumber`, `subSequenceNumber`), exact
 *   inside a KPL aggregate: the way to resume from a lease checkpoint.
 */
export type ShardPosition =
  | 'TRIM_HORIZON'
  | 'LATEST'
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'LATEST' }
  | { readonly type: 'AT_TIMESTAMP'; readonly timestamp: Date }
  | { readonly type: 'AT_SEQUENCE_NUMBER'; readonly sequenceNumber: string }
  | { readonly type: 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string }
  | {
      readonly type: 'AFTER_CHECKPOINT'
      readonly sequenceNumber: string
      /** @defaultValue 0 (a checkpoint on a record that is not a KPL aggregate) */
      readonly subSequenceNumber?: number
    }

/** The iterator fields of a GetShardIterator request for a position. */
type IteratorRequest = Pick<
  GetShardIteratorCommandInput,
  'ShardIteratorType' | 'StartingSequenceNumber' | 'Timestamp'
>

/** Every problem with `position`, for up-front option validation (empty when it is valid). */
export function positionProblems(position: unknown, key = 'position'): string[] {
  if (position === 'TRIM_HORIZON' || position === 'LATEST') return []
  if (typeof position !== 'object' || position === null) {
    return [
      `${key}: required, expected 'TRIM_HORIZON', 'LATEST' or an object with a type, got ${typeof position === 'string' ? JSON.stringify(position) : String(position)}`,
    ]
  }
  const p = position as Record<string, unknown>
  switch (p.type) {
    case 'TRIM_HORIZON':
    case 'LATEST':
      return []
    case 'AT_TIMESTAMP':
      return p.timestamp instanceof Date && Number.isFinite(p.timestamp.getTime())
        ? []
        : [`${key}.timestamp: expected a valid Date for AT_TIMESTAMP`]
    case 'AT_SEQUENCE_NUMBER':
    case 'AFTER_SEQUENCE_NUMBER':
      return sequenceProblems(p.sequenceNumber, key)
    case 'AFTER_CHECKPOINT': {
      const problems = sequenceProblems(p.sequenceNumber, key)
      const sub = p.subSequenceNumber
      if (
        sub !== undefined &&
        !(typeof sub === 'number' && Number.isSafeInteger(sub) && sub >= 0)
      ) {
        problems.push(`${key}.subSequenceNumber: expected a non-negative integer`)
      }
      return problems
    }
    default:
      return [
        `${key}.type: expected one of 'TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP', 'AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER', 'AFTER_CHECKPOINT'`,
      ]
  }
}

function sequenceProblems(value: unknown, key: string): string[] {
  return typeof value === 'string' && SEQUENCE_NUMBER.test(value)
    ? []
    : [`${key}.sequenceNumber: expected a Kinesis sequence number (a string of digits)`]
}

/** The GetShardIterator fields that start reading at `position`. */
export function iteratorRequest(position: ShardPosition): IteratorRequest {
  if (position === 'TRIM_HORIZON' || position === 'LATEST') return { ShardIteratorType: position }
  switch (position.type) {
    case 'TRIM_HORIZON':
    case 'LATEST':
      return { ShardIteratorType: position.type }
    case 'AT_TIMESTAMP':
      return { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: position.timestamp }
    case 'AT_SEQUENCE_NUMBER':
    case 'AFTER_SEQUENCE_NUMBER':
      return { ShardIteratorType: position.type, StartingSequenceNumber: position.sequenceNumber }
    case 'AFTER_CHECKPOINT':
      // AT, not AFTER: the checkpoint may sit inside an aggregate whose later user records are still due.
      return {
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: position.sequenceNumber,
      }
  }
}

/** The checkpoint whose records (and those before it) must be dropped, for an `AFTER_CHECKPOINT` position. */
export function checkpointOf(position: ShardPosition): RecordPosition | undefined {
  if (typeof position === 'string' || position.type !== 'AFTER_CHECKPOINT') return undefined
  return {
    sequenceNumber: position.sequenceNumber,
    subSequenceNumber: position.subSequenceNumber ?? 0,
  }
}

/** A short description of a position for logs. */
export function describePosition(position: ShardPosition): string {
  if (typeof position === 'string') return position
  switch (position.type) {
    case 'TRIM_HORIZON':
    case 'LATEST':
      return position.type
    case 'AT_TIMESTAMP':
      return `AT_TIMESTAMP ${position.timestamp.toISOString()}`
    case 'AT_SEQUENCE_NUMBER':
    case 'AFTER_SEQUENCE_NUMBER':
      return `${position.type} ${position.sequenceNumber}`
    case 'AFTER_CHECKPOINT':
      return `AFTER_CHECKPOINT ${position.sequenceNumber}/${position.subSequenceNumber ?? 0}`
  }
}
