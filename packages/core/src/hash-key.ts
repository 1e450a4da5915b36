// Kinesis routes a record by its 128-bit hash key: the explicit hash key when the producer gave
// one, else the MD5 of the partition key's UTF-8 bytes read as an unsigned big-endian integer.
// Shards own closed ranges of hash keys, given by the API as decimal strings.

import { hash } from 'node:crypto'
import { InvalidConfigError } from './errors.js'

/** The largest hash key, 2^128 − 1: the end of the last shard's range. */
export const MAX_HASH_KEY: bigint = (1n << 128n) - 1n

/** A shard's hash-key range as Kinesis gives it (`HashKeyRange`): inclusive decimal strings. */
export interface HashKeyRange {
  readonly startingHashKey: string
  readonly endingHashKey: string
}

// Up to 39 digits: 2^128 − 1 has 39. Strict, because BigInt() also accepts '', ' 1', '0x1'.
const DECIMAL_HASH_KEY = /^\d{1,39}$/

/**
 * Reads a decimal hash key (an explicit hash key, or one end of a shard's range).
 * @returns the key, or `undefined` when `text` is not a decimal integer in [0, 2^128 − 1]
 */
export function parseHashKey(text: string): bigint | undefined {
  if (!DECIMAL_HASH_KEY.test(text)) return undefined
  const key = BigInt(text)
  return key <= MAX_HASH_KEY ? key : undefined
}

/** The hash key Kinesis derives from a partition key: MD5 of its UTF-8 bytes, as an unsigned 128-bit integer. */
export function partitionKeyHashKey(partitionKey: string): bigint {
  // Hex then BigInt measured fastest here (0.75 µs against 1.5 µs for two readBigUInt64BE).
  return BigInt('0x' + hash('md5', partitionKey))
}

/** A shard's hash-key range, parsed: inclusive bounds. */
export interface ParsedHashKeyRange {
  readonly start: bigint
  readonly end: bigint
}

// The same strings come back for every record of a shard, so the last range parsed is kept:
// no re-parsing of two 39-digit numbers per record.
let lastRange: HashKeyRange = { startingHashKey: '', endingHashKey: '' }
let lastParsed: ParsedHashKeyRange = Object.freeze({ start: 1n, end: 0n })

/**
 * Parses a shard's hash-key range (the last one parsed is cached, so calling this per record is cheap).
 * @throws InvalidConfigError when an end is not a decimal hash key, or start > end
 */
export function parseHashKeyRange(range: HashKeyRange): ParsedHashKeyRange {
  if (
    range.startingHashKey === lastRange.startingHashKey &&
    range.endingHashKey === lastRange.endingHashKey
  ) {
    return lastParsed
  }
  const start = parseHashKey(range.startingHashKey)
  const end = parseHashKey(range.endingHashKey)
  if (start === undefined || end === undefined || start > end) {
    const problems: string[] = []
    if (start === undefined) {
      problems.push(`startingHashKey ${JSON.stringify(range.startingHashKey)} is not a hash key`)
    }
    if (end === undefined) {
      problems.push(`endingHashKey ${JSON.stringify(range.endingHashKey)} is not a hash key`)
    }
    if (problems.length === 0) problems.push('startingHashKey is greater than endingHashKey')
    throw new InvalidConfigError('hash key range', problems)
  }
  lastRange = { startingHashKey: range.startingHashKey, endingHashKey: range.endingHashKey }
  lastParsed = Object.freeze({ start, end })
  return lastParsed
}

/**
 * True when `hashKey` lies in the shard's inclusive range [startingHashKey, endingHashKey].
 * @throws InvalidConfigError when the range's ends are not decimal hash keys, or start > end
 */
export function hashKeyInRange(hashKey: bigint, range: HashKeyRange): boolean {
  const { start, end } = parseHashKeyRange(range)
  return hashKey >= start && hashKey <= end
}
