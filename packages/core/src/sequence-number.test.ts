import { describe, expect, it } from 'vitest'
import { InvalidConfigError } from './errors.js'
import { comparePositions, compareSequenceNumbers } from './sequence-number.js'

describe('compareSequenceNumbers', () => {
  it('orders 56-digit sequence numbers beyond Number precision', () => {
    const a = '49590338271490256608559692538361571095921575989136588898'
    const b = '49590338271490256608559692538361571095921575989136588899'
    expect(Number(a)).toBe(Number(b)) // why strings: doubles cannot tell these apart
    expect(compareSequenceNumbers(a, b)).toBeLessThan(0)
    expect(compareSequenceNumbers(b, a)).toBeGreaterThan(0)
    expect(compareSequenceNumbers(a, a)).toBe(0)
  })

  it('orders numbers of different lengths by magnitude, ignoring leading zeros', () => {
    expect(compareSequenceNumbers('9', '10')).toBeLessThan(0)
    expect(compareSequenceNumbers('0010', '9')).toBeGreaterThan(0)
    expect(compareSequenceNumbers('000', '0')).toBe(0)
  })

  it('rejects sentinels and other non-numbers with an InvalidConfigError', () => {
    expect(() => compareSequenceNumbers('TRIM_HORIZON', '1')).toThrow(InvalidConfigError)
    expect(() => compareSequenceNumbers('TRIM_HORIZON', '1')).toThrow(/not a sequence number/)
    expect(() => compareSequenceNumbers('1', '')).toThrow(InvalidConfigError)
  })
})

describe('comparePositions', () => {
  it('orders user records inside one aggregate by sub-sequence number', () => {
    const seq = '49590338271490256608559692538361571095921575989136588898'
    expect(
      comparePositions(
        { sequenceNumber: seq, subSequenceNumber: 2 },
        { sequenceNumber: seq, subSequenceNumber: 10 },
      ),
    ).toBeLessThan(0)
    expect(
      comparePositions(
        { sequenceNumber: '2', subSequenceNumber: 0 },
        { sequenceNumber: '1', subSequenceNumber: 99 },
      ),
    ).toBeGreaterThan(0)
  })
})
