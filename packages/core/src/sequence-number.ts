// Kinesis sequence numbers are decimal strings of up to 128 bits: longer than a JS number can
// hold exactly, so they are compared as digit strings (by length, then lexically).

import { InvalidConfigError } from './errors.js'

const DIGITS = /^\d+$/

/** A record's place in its shard: the sequence number, and its position inside a KPL aggregate. */
export interface RecordPosition {
  readonly sequenceNumber: string
  /** Index of the user record inside a KPL aggregate; 0 for a record that is not aggregated. */
  readonly subSequenceNumber: number
}

/** True for a string that can be a Kinesis sequence number (decimal digits only). */
export function isSequenceNumber(value: string): boolean {
  return DIGITS.test(value)
}

function normalise(seq: string): string {
  if (!isSequenceNumber(seq)) {
    throw new InvalidConfigError('sequence number', [
      `${JSON.stringify(seq)} is not a sequence number (decimal digits only)`,
    ])
  }
  const trimmed = seq.replace(/^0+(?=\d)/, '')
  return trimmed
}

/**
 * Compares two sequence numbers: negative when `a` comes first, 0 when equal, positive after.
 *
 * @throws {@link InvalidConfigError} when either is not a string of decimal digits.
 */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = normalise(a)
  const y = normalise(b)
  if (x.length !== y.length) return x.length - y.length
  return x < y ? -1 : x > y ? 1 : 0
}

/** Compares two (sequence, sub-sequence) positions, so records inside one aggregate are ordered too. */
export function comparePositions(a: RecordPosition, b: RecordPosition): number {
  return (
    compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber) ||
    a.subSequenceNumber - b.subSequenceNumber
  )
}
