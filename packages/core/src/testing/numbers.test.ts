// DynamoDB numbers carry up to 38 significant digits: the in-memory table must compare, add and
// size them exactly, where a float would round.

import { describe, expect, it } from 'vitest'
import { addNumbers, canonicalNumber, compareNumbers, numberBytes } from './numbers.js'

describe('DynamoDB numbers', () => {
  it('compares and adds 38-digit numbers exactly', () => {
    const big = '12345678901234567890123456789012345678'
    expect(compareNumbers(big, '12345678901234567890123456789012345679')).toBe(-1)
    expect(addNumbers(big, '1')).toBe('12345678901234567890123456789012345679')
    expect(addNumbers('0.1', '0.2')).toBe('0.3')
    expect(addNumbers('5', '7', -1)).toBe('-2')
    expect(compareNumbers('10', '9')).toBe(1)
    expect(compareNumbers('1.0', '1')).toBe(0)
    expect(compareNumbers('-1e2', '-99')).toBe(-1)
  })

  it('hands numbers back in canonical form', () => {
    expect(['01.50', '-0', '1e3', '0.001', '-12.5'].map(canonicalNumber)).toEqual([
      '1.5',
      '0',
      '1000',
      '0.001',
      '-12.5',
    ])
  })

  it('sizes a number by digit pairs aligned on the decimal point, plus one, plus the sign', () => {
    expect(['0', '5', '12', '123', '1000', '0.5', '-12.5'].map(numberBytes)).toEqual([
      1, 2, 2, 3, 2, 2, 4,
    ])
  })

  it('refuses what is not a number', () => {
    expect(() => compareNumbers('abc', '1')).toThrow(/numeric/)
    expect(() => canonicalNumber('')).toThrow(/numeric/)
  })
})
