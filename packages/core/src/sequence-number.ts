// Kinesis sequence numbers are decimal strings of up to 128 bits: longer than a JS number can
// hold exactly, so they are compared as digit strings (by length, then lexically).

const DIGITS = /^\d+$/

/** A record's place in its shard: the sequence number, and its position inside a KPL aggregate. */
export interface RecordPosition {
  readonly sequenceNumber: string
  /** Index of the user record inside a KPL aggregate; 0 for a record that is not aggregated. */
  readonly subSequenceNumber: number
}

function normalise(seq: string): string {
  if (!DIGITS.test(seq)) throw new TypeError(`not a sequence number: ${JSON.stringify(seq)}`)
  const trimmed = seq.replace(/^0+(?=\d)/, '')
  return trimmed
}

/** Compares two sequence numbers: negative when `a` comes first, 0 when equal, positive after. */
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
