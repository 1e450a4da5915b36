import { describe, expect, it } from 'vitest'
import { InvalidConfigError } from './errors.js'
import {
  MAX_HASH_KEY,
  hashKeyInRange,
  parseHashKey,
  parseHashKeyRange,
  partitionKeyHashKey,
} from './hash-key.js'

// Expected values computed outside Node (Python's hashlib): MD5 digest read as big-endian unsigned.
describe('partitionKeyHashKey', () => {
  it('is the MD5 of the partition key as an unsigned 128-bit big-endian integer', () => {
    expect(partitionKeyHashKey('a')).toBe(16955237001963240173058271559858726497n)
    expect(partitionKeyHashKey('partition-key-1')).toBe(33365116028791453877729010807000998774n)
  })

  it('stays positive when the digest has its top bit set', () => {
    // md5('') = d41d8cd9...: a signed reading would make it negative
    expect(partitionKeyHashKey('')).toBe(281949768489412648962353822266799178366n)
    expect(partitionKeyHashKey('')).toBeGreaterThan(1n << 127n)
  })

  it('hashes the UTF-8 bytes of the key', () => {
    expect(partitionKeyHashKey('é')).toBe(136732923097551493579404309126273812335n)
  })
})

describe('parseHashKey', () => {
  it('reads decimal keys from 0 to 2^128 - 1', () => {
    expect(parseHashKey('0')).toBe(0n)
    expect(parseHashKey('340282366920938463463374607431768211455')).toBe(MAX_HASH_KEY)
    expect(MAX_HASH_KEY).toBe(2n ** 128n - 1n)
  })

  it('refuses what BigInt() would accept but Kinesis would not', () => {
    for (const bad of [
      '',
      ' 1',
      '0x10',
      '-1',
      '1.0',
      '1e3',
      '340282366920938463463374607431768211456',
    ]) {
      expect(parseHashKey(bad), bad).toBeUndefined()
    }
  })
})

describe('hashKeyInRange', () => {
  const lowerHalf = {
    startingHashKey: '0',
    endingHashKey: '170141183460469231731687303715884105727',
  }
  const upperHalf = {
    startingHashKey: '170141183460469231731687303715884105728',
    endingHashKey: '340282366920938463463374607431768211455',
  }

  it('includes both ends of the range', () => {
    expect(hashKeyInRange(0n, lowerHalf)).toBe(true)
    expect(hashKeyInRange((1n << 127n) - 1n, lowerHalf)).toBe(true)
    expect(hashKeyInRange(1n << 127n, lowerHalf)).toBe(false)
    expect(hashKeyInRange(1n << 127n, upperHalf)).toBe(true)
    expect(hashKeyInRange(MAX_HASH_KEY, upperHalf)).toBe(true)
    expect(hashKeyInRange((1n << 127n) - 1n, upperHalf)).toBe(false)
  })

  it('puts each partition key in exactly one of two halves after a split', () => {
    for (const key of ['', 'a', 'é', 'partition-key-1', 'user-42']) {
      const h = partitionKeyHashKey(key)
      expect(hashKeyInRange(h, lowerHalf) !== hashKeyInRange(h, upperHalf), key).toBe(true)
    }
  })

  it('answers for the range passed, not a cached earlier one', () => {
    // the parser keeps the last range: alternating ranges must not mix
    expect(hashKeyInRange(5n, { startingHashKey: '0', endingHashKey: '9' })).toBe(true)
    expect(hashKeyInRange(5n, { startingHashKey: '0', endingHashKey: '4' })).toBe(false)
    expect(hashKeyInRange(5n, { startingHashKey: '0', endingHashKey: '9' })).toBe(true)
    expect(hashKeyInRange(5n, { startingHashKey: '6', endingHashKey: '9' })).toBe(false)
  })

  it('rejects a range that is not one, naming every problem', () => {
    expect(() => hashKeyInRange(1n, { startingHashKey: 'x', endingHashKey: '-1' })).toThrow(
      InvalidConfigError,
    )
    try {
      parseHashKeyRange({ startingHashKey: 'x', endingHashKey: '-1' })
      expect.unreachable()
    } catch (error) {
      expect((error as InvalidConfigError).problems).toHaveLength(2)
    }
    expect(() => parseHashKeyRange({ startingHashKey: '10', endingHashKey: '9' })).toThrow(
      /greater than/,
    )
  })
})
